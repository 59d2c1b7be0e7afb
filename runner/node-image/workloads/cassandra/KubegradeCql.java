// kubegrade-cql: runs CQL statements against one Cassandra node, the coordinator the
// grader names, with the consistency level it asks for, and prints each row's columns
// separated by tabs. The grader uses it to write on one node and read on another.
//
//   kubegrade-cql --host ADDRESS [--consistency ALL|QUORUM|ONE] STATEMENT...
//
// Exit status: 0 when every statement ran, 1 when one failed (the message on stderr),
// 2 for a usage error.
import com.datastax.driver.core.Cluster;
import com.datastax.driver.core.ColumnDefinitions;
import com.datastax.driver.core.ConsistencyLevel;
import com.datastax.driver.core.ResultSet;
import com.datastax.driver.core.Row;
import com.datastax.driver.core.Session;
import com.datastax.driver.core.SimpleStatement;
import com.datastax.driver.core.SocketOptions;
import com.datastax.driver.core.policies.RoundRobinPolicy;
import com.datastax.driver.core.policies.WhiteListPolicy;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

public final class KubegradeCql {
  public static void main(String[] args) {
    String host = null;
    ConsistencyLevel consistency = ConsistencyLevel.ONE;
    List<String> statements = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--host") && i + 1 < args.length) host = args[++i];
      else if (args[i].equals("--consistency") && i + 1 < args.length) consistency = ConsistencyLevel.valueOf(args[++i]);
      else statements.add(args[i]);
    }
    if (host == null || statements.isEmpty()) {
      System.err.println("usage: kubegrade-cql --host ADDRESS [--consistency ALL|QUORUM|ONE] STATEMENT...");
      System.exit(2);
    }
    InetSocketAddress coordinator = new InetSocketAddress(host, 9042);
    // Only the named node coordinates: a read "on another node" must really be served there.
    try (Cluster cluster = Cluster.builder()
            .addContactPointsWithPorts(coordinator)
            .withLoadBalancingPolicy(new WhiteListPolicy(new RoundRobinPolicy(), Collections.singletonList(coordinator)))
            .withSocketOptions(new SocketOptions().setConnectTimeoutMillis(10_000).setReadTimeoutMillis(20_000))
            .withoutJMXReporting()
            .withoutMetrics()
            .build();
         Session session = cluster.connect()) {
      for (String cql : statements) {
        ResultSet rows = session.execute(new SimpleStatement(cql).setConsistencyLevel(consistency));
        for (Row row : rows) {
          ColumnDefinitions columns = row.getColumnDefinitions();
          StringBuilder line = new StringBuilder();
          for (int c = 0; c < columns.size(); c++) {
            if (c > 0) line.append('\t');
            Object value = row.getObject(c);
            line.append(value == null ? "null" : value.toString());
          }
          System.out.println(line);
        }
      }
    } catch (RuntimeException e) {
      System.err.println("kubegrade-cql: " + e.getClass().getSimpleName() + ": " + e.getMessage());
      System.exit(1);
    }
  }
}
