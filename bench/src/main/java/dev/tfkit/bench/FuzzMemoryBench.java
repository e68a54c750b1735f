package dev.tfkit.bench;

import dev.tfkit.io.RawBytesCalls;
import dev.tfkit.server.EmbeddedServer;
import dev.tfkit.server.IdleHeapReturn;
import dev.tfkit.zoo.Fixtures;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the embedded server's memory does under a stream of malformed and oversized gRPC requests:
 * starts the server in a child JVM (so the client's own buffers are not counted), sends it 5,000
 * garbage Predict messages from 4 concurrent clients — mostly small, some of 1-8 MB, a few of 64 MB
 * — and prints the child's RSS ({@code /proc/PID/status} VmRSS), heap and direct memory every 500
 * requests. Not a test: the figures depend on the machine and go into docs/server.md.
 *
 * <p>{@code bench/run dev.tfkit.bench.FuzzMemoryBench [requests] [name=value ...]}: {@code
 * jvm=OPTION} (repeatable) for the server's JVM, {@code idle=SECONDS} (default 5) to keep sampling
 * after the last request; for the server {@code grpc_max_message_bytes=N}, {@code
 * grpc_channel_arguments=...} and {@code idle_heap_return=SECONDS} (what {@code tfkit serve} sets
 * up with 30).
 */
public final class FuzzMemoryBench {
  private static final MethodDescriptor.Marshaller<byte[]> BYTES =
      RawBytesCalls.MARSHALLER;

  private static final MethodDescriptor<byte[], byte[]> PREDICT =
      MethodDescriptor.<byte[], byte[]>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("tensorflow.serving.PredictionService/Predict")
          .setRequestMarshaller(BYTES)
          .setResponseMarshaller(BYTES)
          .build();

  private FuzzMemoryBench() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--serve")) {
      serve(args);
      return;
    }
    int requests = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
    List<String> jvm = new ArrayList<>();
    List<String> serverArgs = new ArrayList<>();
    int idleSeconds = 5;
    for (int i = 1; i < args.length; i++) {
      if (args[i].startsWith("jvm=")) jvm.add(args[i].substring(4));
      else if (args[i].startsWith("idle=")) idleSeconds = Integer.parseInt(args[i].substring(5));
      else serverArgs.add(args[i]);
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvm);
    String root = System.getProperty("tfkit.repo.root");
    if (root != null) cmd.add("-Dtfkit.repo.root=" + root);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), FuzzMemoryBench.class.getName(), "--serve"));
    cmd.addAll(serverArgs);
    Process server = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(new File(System.getProperty("java.io.tmpdir"), "fuzz-memory-server.log"))).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
    PrintStream in = new PrintStream(server.getOutputStream(), true, StandardCharsets.UTF_8);
    String target = out.readLine();
    if (target == null || !target.startsWith("target ")) throw new IllegalStateException("server did not start: " + target);
    target = target.substring(7);
    System.out.printf(Locale.ROOT, "server pid %d at %s, jvm %s, flags %s%n", server.pid(), target, jvm, serverArgs);
    System.out.printf(Locale.ROOT, "%8s %10s %10s %10s %10s  %s%n", "requests", "RSS MB", "heap used", "heap comm", "direct MB", "answers so far");
    System.out.println(stats(server.pid(), in, out, 0, Map.of()));

    int clients = 4;
    List<ManagedChannel> channels = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      channels.add(NettyChannelBuilder.forTarget(target).usePlaintext().maxInboundMessageSize(1 << 20).build());
    }
    // Garbage of each size made once: the client should allocate as little as it can.
    Random rnd = new Random(5000);
    byte[] small = new byte[64 << 10];
    byte[] medium = new byte[8 << 20];
    byte[] large = new byte[64 << 20];
    rnd.nextBytes(small);
    rnd.nextBytes(medium);
    rnd.nextBytes(large);
    // A leading 0x0A with a length past the end makes every one of them unparseable.
    for (byte[] b : new byte[][] {small, medium, large}) {
      b[0] = 0x0A;
      b[1] = (byte) 0xFF;
      b[2] = (byte) 0xFF;
      b[3] = (byte) 0xFF;
      b[4] = 0x7F;
    }
    Map<String, Integer> answers = new TreeMap<>();
    AtomicInteger sent = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    long t0 = System.nanoTime();
    for (int done = 0; done < requests; ) {
      int batch = Math.min(500, requests - done);
      List<Future<String>> futures = new ArrayList<>();
      for (int i = 0; i < batch; i++) {
        int n = done + i;
        ManagedChannel ch = channels.get(n % clients);
        futures.add(pool.submit(() -> {
          int r = Math.floorMod(n * 7919, 100);
          byte[] body;
          int length;
          if (r == 0) {
            body = large;
            length = large.length;
          } else if (r < 16) {
            body = medium;
            length = (1 << 20) + Math.floorMod(n * 104729, 7 << 20);
          } else {
            body = small;
            length = 100 + Math.floorMod(n * 31, small.length - 100);
          }
          byte[] msg = length == body.length ? body : Arrays.copyOf(body, length);
          sent.incrementAndGet();
          try {
            ClientCalls.blockingUnaryCall(ch, PREDICT, CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS), msg);
            return "OK";
          } catch (StatusRuntimeException e) {
            return e.getStatus().getCode().name();
          }
        }));
      }
      for (Future<String> f : futures) answers.merge(f.get(), 1, Integer::sum);
      done += batch;
      System.out.println(stats(server.pid(), in, out, done, answers));
    }
    System.out.printf(Locale.ROOT, "%d requests in %.1f s%n", requests, (System.nanoTime() - t0) / 1e9);
    for (int waited = 0; waited < idleSeconds; ) {
      int step = Math.min(5, idleSeconds - waited);
      Thread.sleep(step * 1000L);
      waited += step;
      System.out.println(stats(server.pid(), in, out, requests, answers) + "  (" + waited + " s idle)");
    }
    pool.shutdownNow();
    channels.forEach(ManagedChannel::shutdownNow);
    in.println("quit");
    server.waitFor(10, TimeUnit.SECONDS);
    server.destroyForcibly();
  }

  private static String stats(long pid, PrintStream in, BufferedReader out, int done, Map<String, Integer> answers)
      throws IOException {
    in.println("stats");
    String heap = out.readLine();
    return String.format(Locale.ROOT, "%8d %10.0f %s  %s", done, rssMb(pid), heap, answers);
  }

  private static double rssMb(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
      }
    }
    return -1;
  }

  /** The child: the server, answering "stats" on stdin with heap and direct memory in MB. */
  private static void serve(String[] args) throws Exception {
    EmbeddedServer.Builder b =
        EmbeddedServer.builder()
            .model("half_plus_two", Fixtures.tfServing("saved_model_half_plus_two_cpu"))
            .grpcPort(0)
            .noRest();
    for (int i = 1; i < args.length; i++) {
      String[] kv = args[i].split("=", 2);
      switch (kv[0]) {
        case "grpc_channel_arguments" -> b.grpcChannelArguments(kv[1]);
        case "grpc_max_message_bytes" -> b.maxMessageBytes(Integer.parseInt(kv[1]));
        // What `tfkit serve` does in its own JVM (ServeCommand), here with any interval.
        case "idle_heap_return" -> IdleHeapReturn.enableIfUnset(Duration.ofSeconds(Long.parseLong(kv[1])));
        default -> throw new IllegalArgumentException("unknown server flag " + kv[0]);
      }
    }
    try (EmbeddedServer server = b.start()) {
      System.out.println("target " + server.grpcTarget());
      System.out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      for (String line; (line = in.readLine()) != null && !line.equals("quit"); ) {
        Runtime rt = Runtime.getRuntime();
        double direct = 0;
        for (BufferPoolMXBean p : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
          if (p.getName().equals("direct")) direct += p.getMemoryUsed() / 1048576.0;
        }
        direct += nettyDirectMb();
        System.out.printf(Locale.ROOT, "%10.0f %10.0f %10.0f%n",
            (rt.totalMemory() - rt.freeMemory()) / 1048576.0, rt.totalMemory() / 1048576.0, direct);
        System.out.flush();
      }
    }
  }

  /** Direct memory grpc's shaded Netty allocated without the JDK's accounting (its no-cleaner buffers). */
  private static double nettyDirectMb() {
    try {
      Class<?> pd = Class.forName("io.grpc.netty.shaded.io.netty.util.internal.PlatformDependent");
      long used = (long) pd.getMethod("usedDirectMemory").invoke(null);
      return used < 0 ? 0 : used / 1048576.0;
    } catch (ReflectiveOperationException e) {
      return 0;
    }
  }
}
