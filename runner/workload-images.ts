/**
 * The workload images inside the kit node, under the names exercises (and students)
 * use. They are built from the node's own Debian packages: busybox for a shell and
 * network tools, nginx for the web server; the same content under several names where
 * upstream images are interchangeable for the exercises. Each image records its names
 * in /etc/kubegrade-image, so a check can tell which one a container runs.
 *
 * A data table low in runner/, read by the submission's image rules, images/ and verify as
 * much as by the node image's build (node-image/build.ts), which hashes it as JSON into the
 * image's inputs: a change here rebuilds the image. Its sources are runner/node-image/workloads/.
 */
export interface WorkloadImage {
  /** Short id, used for build directories. */
  id: string;
  kind: "busybox" | "nginx" | "pause" | "hello-api" | "cassandra";
  /** Commands run in the image once it is assembled (a Dockerfile RUN each). */
  run?: string[];
  /**
   * The nslookup of busybox 1.28 instead of the busybox's own (node-image/workloads/nslookup-1.28):
   * names resolved through the pod's search list, printed as 1.28 prints them — and, for
   * alpine:3.8, with the line musl's resolver adds. Absent: the nslookup of the busybox the
   * image carries (a later one, which sends a name with a dot as it is).
   */
  nslookup?: "busybox-1.28" | "alpine-3.8";
  /** Image references as written in manifests; the first is the display name. */
  names: string[];
  cmd: string[];
}

export const WORKLOAD_IMAGES: WorkloadImage[] = [
  { id: "pause", kind: "pause", names: ["registry.k8s.io/pause:3.10"], cmd: ["/pause"] },
  // busybox:latest first: a busybox tag the mirror does not hold is served as a current busybox.
  { id: "busybox", kind: "busybox", names: ["busybox:latest", "busybox"], cmd: ["sh"] },
  { id: "busybox-1-28", kind: "busybox", names: ["busybox:1.28"], cmd: ["sh"], nslookup: "busybox-1.28" },
  { id: "alpine", kind: "busybox", names: ["alpine:3.8"], cmd: ["/bin/sh"], nslookup: "alpine-3.8" },
  {
    id: "nginx-slim",
    kind: "nginx",
    names: ["k8s.gcr.io/nginx-slim:0.8", "registry.k8s.io/nginx-slim:0.8"],
    cmd: ["nginx", "-g", "daemon off;"],
  },
  { id: "nginx-mainline", kind: "nginx", names: ["nginx:mainline", "nginx:latest", "nginx"], cmd: ["nginx", "-g", "daemon off;"] },
  { id: "nginx-1-13-12", kind: "nginx", names: ["nginx:1.13.12"], cmd: ["nginx", "-g", "daemon off;"] },
  // The `demo` exercise's stand-in for its seed's private image: GET /api/v1/hello on 8080.
  { id: "hello-api", kind: "hello-api", names: ["kubegrade/hello-api:1.0"], cmd: ["/usr/local/bin/hello-api"] },
  // The `cassandra` exercise's image: Apache Cassandra 5.0 on Debian's Java 17, honouring the
  // environment contract of the seed's gcr.io/google-samples/cassandra:v13 (see node-image/workloads/cassandra/).
  {
    id: "cassandra",
    kind: "cassandra",
    names: [
      "gcr.io/google-samples/cassandra:v13", "gcr.io/google-samples/cassandra:v14",
      "gcr.io/google-samples/cassandra:v12", "gcr.io/google-samples/cassandra:v11",
    ],
    cmd: ["/run.sh"],
    // Class-data sharing archives: every JVM in the pod (server, nodetool, the probe) starts faster.
    run: [
      "/usr/lib/jvm/java-17-openjdk-amd64/bin/java -Xshare:dump -XX:+UseSerialGC >/dev/null",
      // The server's, nodetool's and kubegrade-cql's classes, archived from a one-node ring
      // started, queried and stopped in the build (node-image/workloads/cassandra/cds-archives.sh).
      "/usr/local/bin/kubegrade-cds-archives",
    ],
  },
];
