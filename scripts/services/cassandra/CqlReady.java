import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.TimeUnit;

import com.datastax.driver.core.Cluster;
import com.datastax.driver.core.Row;
import com.datastax.driver.core.Session;
import com.datastax.driver.core.SocketOptions;

/**
 * Readiness check for the test Cassandra (scripts/services/cassandra.sh), using the shaded
 * DataStax 3.x driver that cassandra-all ships.
 *
 * <p>Usage: {@code java -cp 'lib/*:classes' CqlReady HOST PORT TIMEOUT_SECONDS [PID]}
 *
 * <p>Polls until {@code SELECT release_version FROM system.local} answers over CQL, then prints
 * the version. Exit codes: 0 ready, 1 deadline passed, 2 the server process PID exited first,
 * 64 bad usage.
 */
public final class CqlReady {
  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println("usage: CqlReady HOST PORT TIMEOUT_SECONDS [PID]");
      System.exit(64);
    }
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(args[2]));
    long pid = args.length > 3 ? Long.parseLong(args[3]) : -1;

    String lastError = "no attempt";
    while (true) {
      // The CQL port opens at the very end of Cassandra's start-up: poll it cheaply, and
      // only then pay for a driver session.
      if (portOpen(host, port)) {
        Cluster cluster =
            Cluster.builder()
                .addContactPoint(host)
                .withPort(port)
                .withoutJMXReporting()
                .withoutMetrics()
                .withSocketOptions(
                    new SocketOptions().setConnectTimeoutMillis(2000).setReadTimeoutMillis(5000))
                .build();
        try {
          Session session = cluster.connect();
          Row row = session.execute("SELECT release_version FROM system.local").one();
          if (row != null) {
            System.out.println(
                "cassandra ready: release_version " + row.getString("release_version"));
            System.out.flush();
            // No graceful close: the driver's shutdown quiet period costs seconds.
            Runtime.getRuntime().halt(0);
          }
          lastError = "system.local returned no row";
        } catch (Exception e) {
          lastError = e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        cluster.closeAsync();
      } else {
        lastError = "CQL port " + port + " not open";
      }
      if (pid > 0 && !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
        System.err.println("cassandra process " + pid + " exited; last error: " + lastError);
        Runtime.getRuntime().halt(2);
      }
      if (System.nanoTime() > deadline) {
        System.err.println("cassandra not ready before the deadline; last error: " + lastError);
        Runtime.getRuntime().halt(1);
      }
      Thread.sleep(250);
    }
  }

  private static boolean portOpen(String host, int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
