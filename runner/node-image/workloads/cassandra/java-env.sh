# Sourced by every JVM launcher in this image (run.sh, nodetool, kubegrade-cql): the class
# path written out in one fixed order, and the class-data sharing archive each JVM uses.
#
# A class-data sharing (CDS) archive holds the classes a JVM loaded, parsed and verified; a
# JVM that maps it starts in about half the CPU time (measured under the seed's 500m
# limit: the server's start 10.4–11 s → 7.4–7.7 s). The archives are written when the
# image is built (kubegrade-cds-archives: each JVM run once, KUBEGRADE_CDS_DUMP=1). Java
# uses an archive only when the class path is the one it was written with, entry for
# entry: `lib/*` expands in the directory's order, which differs between the filesystem
# the image is built on and the one containerd unpacks it to, so the path is spelled out
# here, sorted. A directory on the path must come after every jar (Java refuses to
# archive with a non-empty directory before them).
JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64
CASSANDRA_LIB=/usr/share/cassandra/lib

# class_path [ENTRY...]: the sorted jars of Cassandra's lib, each ENTRY prepended.
class_path() {
  local IFS=: jars
  jars=$(LC_ALL=C; printf '%s:' "$CASSANDRA_LIB"/*.jar)
  printf '%s' "${*:+$*:}${jars%:}"
}

# cds_options ARCHIVE: the options that make a JVM use ARCHIVE, or (KUBEGRADE_CDS_DUMP set)
# write it at exit. The server's -javaagent (jamm) needs AllowArchivingWithJavaAgent on
# both sides.
cds_options() {
  local archive=$1
  if [ -n "${KUBEGRADE_CDS_DUMP:-}" ]; then
    printf '%s\n' -XX:+UnlockDiagnosticVMOptions -XX:+AllowArchivingWithJavaAgent "-XX:ArchiveClassesAtExit=$archive"
  elif [ -r "$archive" ]; then
    printf '%s\n' -XX:+UnlockDiagnosticVMOptions -XX:+AllowArchivingWithJavaAgent "-XX:SharedArchiveFile=$archive"
  fi
}
