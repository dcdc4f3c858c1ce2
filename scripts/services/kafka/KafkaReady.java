import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Node;

/**
 * Readiness check for the test Kafka broker (scripts/services/kafka.sh).
 *
 * <p>Usage: {@code java -cp 'lib/*:classes' KafkaReady BOOTSTRAP TIMEOUT_SECONDS [PID]}
 *
 * <p>Polls until an admin client can list the topics and sees an active controller. Exit codes:
 * 0 ready, 1 deadline passed, 2 the server process PID exited first, 64 bad usage.
 */
public final class KafkaReady {
  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: KafkaReady BOOTSTRAP TIMEOUT_SECONDS [PID]");
      System.exit(64);
    }
    String bootstrap = args[0];
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(args[1]));
    long pid = args.length > 2 ? Long.parseLong(args[2]) : -1;

    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(AdminClientConfig.CLIENT_ID_CONFIG, "chat4all-services-ready");
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "4000");
    props.put(AdminClientConfig.RECONNECT_BACKOFF_MS_CONFIG, "100");
    props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
    props.put(AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, "100");

    String lastError = "no attempt";
    Admin admin = Admin.create(props);
    while (true) {
      try {
        Set<String> topics = admin.listTopics().names().get(4, TimeUnit.SECONDS);
        Node controller = admin.describeCluster().controller().get(4, TimeUnit.SECONDS);
        if (controller != null && !controller.isEmpty()) {
          System.out.println(
              "kafka ready: " + topics.size() + " topic(s), controller " + controller.idString());
          System.out.flush();
          Runtime.getRuntime().halt(0); // no graceful close of the admin client: it costs time
        }
        lastError = "no active controller yet";
      } catch (Exception e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        lastError = cause.getClass().getSimpleName() + ": " + cause.getMessage();
      }
      if (pid > 0 && !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
        System.err.println("kafka process " + pid + " exited; last error: " + lastError);
        Runtime.getRuntime().halt(2);
      }
      if (System.nanoTime() > deadline) {
        System.err.println("kafka not ready before the deadline; last error: " + lastError);
        Runtime.getRuntime().halt(1);
      }
      Thread.sleep(250);
    }
  }
}
