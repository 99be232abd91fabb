// Load for the real-ZooKeeper check, compiled against Debian's zookeeper.jar by load.ts.
//
//   ZkLoad write <connectString> <root> <writers> <stopFile>
//     Each writer has its own session and loops until <stopFile> exists: a sequential create
//     under <root>/w<i>/ with a unique payload, and every fourth operation a setData of
//     <root>/w<i>/cell. Every acknowledged write is printed with the wall-clock time of its ack:
//       A <ms> <writer> <path> <payload>    create acknowledged
//       T <ms> <writer> <path> <payload>    setData about to be sent (it may apply without an ack)
//       S <ms> <writer> <path> <payload>    setData acknowledged
//       E <ms> <writer> <error>             an operation failed (its outcome is unknown)
//     Errors are retried with a new payload; an expired session is replaced.
//
//   ZkLoad read <server> <root>
//     Connects to that one server, syncs, and prints every znode under <root>/*/ as
//       R <path> <payload>
//     then "END <count>"; "UNREACHABLE" (exit 2) when the server cannot be reached.
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;

public class ZkLoad {
  static synchronized void out(String line) {
    System.out.println(line);
    System.out.flush();
  }

  static ZooKeeper connect(String connectString, long waitMs) throws Exception {
    CountDownLatch connected = new CountDownLatch(1);
    ZooKeeper zk =
        new ZooKeeper(
            connectString,
            10_000,
            e -> {
              if (e.getState() == Watcher.Event.KeeperState.SyncConnected) connected.countDown();
            });
    connected.await(waitMs, TimeUnit.MILLISECONDS);
    return zk;
  }

  static void ensure(ZooKeeper zk, String path) throws Exception {
    for (; ; ) {
      try {
        zk.create(path, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        return;
      } catch (KeeperException.NodeExistsException e) {
        return;
      } catch (KeeperException e) {
        Thread.sleep(200);
      }
    }
  }

  static void write(String connectString, String root, int writers, String stopFile) throws Exception {
    ZooKeeper setup = connect(connectString, 60_000);
    ensure(setup, root);
    for (int i = 0; i < writers; i++) {
      ensure(setup, root + "/w" + i);
      ensure(setup, root + "/w" + i + "/cell");
    }
    setup.close();
    Thread[] threads = new Thread[writers];
    for (int i = 0; i < writers; i++) {
      final int w = i;
      threads[i] =
          new Thread(
              () -> {
                try {
                  writer(connectString, root + "/w" + w, w, stopFile);
                } catch (Exception e) {
                  out("E " + System.currentTimeMillis() + " " + w + " fatal " + e);
                }
              });
      threads[i].start();
    }
    out("STARTED");
    for (Thread t : threads) t.join();
    out("DONE");
  }

  static void writer(String connectString, String base, int w, String stopFile) throws Exception {
    ZooKeeper zk = connect(connectString, 30_000);
    long seq = 0;
    while (!Files.exists(Paths.get(stopFile))) {
      seq++;
      String payload = "w" + w + "-" + seq + "-" + System.nanoTime();
      byte[] data = payload.getBytes(StandardCharsets.UTF_8);
      try {
        if (seq % 4 == 0) {
          out("T " + System.currentTimeMillis() + " " + w + " " + base + "/cell " + payload);
          zk.setData(base + "/cell", data, -1);
          out("S " + System.currentTimeMillis() + " " + w + " " + base + "/cell " + payload);
        } else {
          String path = zk.create(base + "/n-", data, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_SEQUENTIAL);
          out("A " + System.currentTimeMillis() + " " + w + " " + path + " " + payload);
        }
      } catch (KeeperException.SessionExpiredException e) {
        out("E " + System.currentTimeMillis() + " " + w + " " + e.code());
        zk.close();
        zk = connect(connectString, 30_000);
      } catch (KeeperException e) {
        out("E " + System.currentTimeMillis() + " " + w + " " + e.code());
        Thread.sleep(50);
      }
      Thread.sleep(20);
    }
    zk.close();
  }

  static void read(String server, String root) throws Exception {
    ZooKeeper zk = connect(server, 30_000);
    if (zk.getState() != ZooKeeper.States.CONNECTED) {
      out("UNREACHABLE");
      System.exit(2);
    }
    CountDownLatch synced = new CountDownLatch(1);
    zk.sync(root, (rc, path, ctx) -> synced.countDown(), null);
    if (!synced.await(30, TimeUnit.SECONDS)) {
      out("UNREACHABLE");
      System.exit(2);
    }
    AtomicInteger count = new AtomicInteger();
    for (String w : zk.getChildren(root, false)) {
      String base = root + "/" + w;
      List<String> children = zk.getChildren(base, false);
      CountDownLatch left = new CountDownLatch(children.size());
      for (String c : children) {
        String path = base + "/" + c;
        zk.getData(
            path,
            false,
            (rc, p, ctx, data, stat) -> {
              if (rc == 0) {
                out("R " + p + " " + new String(data, StandardCharsets.UTF_8));
                count.incrementAndGet();
              } else {
                out("X " + p + " " + KeeperException.Code.get(rc));
              }
              left.countDown();
            },
            null);
      }
      left.await(60, TimeUnit.SECONDS);
    }
    out("END " + count.get());
    zk.close();
  }

  public static void main(String[] a) throws Exception {
    if (a[0].equals("write")) write(a[1], a[2], Integer.parseInt(a[3]), a[4]);
    else if (a[0].equals("read")) read(a[1], a[2]);
    else throw new IllegalArgumentException("usage: ZkLoad write|read ...");
    System.exit(0);
  }
}
