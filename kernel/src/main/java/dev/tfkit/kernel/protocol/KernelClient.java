package dev.tfkit.kernel.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.zeromq.ZMQ;

/**
 * A minimal Jupyter frontend on {@link JupyterWire}: starts a kernel process with a fresh connection
 * file, sends signed requests on shell or control, and collects the IOPub messages each request
 * causes. For protocol tests and the kernel benchmark.
 */
public final class KernelClient implements AutoCloseable {
  /** A request's reply and the IOPub messages it caused (up to its idle status). */
  public record Reply(JupyterMessage reply, List<JupyterMessage> iopub) {
    public ObjectNode content() {
      return reply.content();
    }

    /** IOPub messages of one type ("stream", "execute_result" ...). */
    public List<JupyterMessage> iopub(String msgType) {
      return iopub.stream().filter(m -> m.type().equals(msgType)).toList();
    }

    /** Concatenated text of one stream ("stdout" or "stderr"). */
    public String stream(String name) {
      StringBuilder sb = new StringBuilder();
      for (JupyterMessage m : iopub("stream")) {
        ObjectNode c = m.content();
        if (c.get("name").asText().equals(name)) sb.append(c.get("text").asText());
      }
      return sb.toString();
    }
  }

  private final JupyterWire wire;
  private final Map<String, List<JupyterMessage>> iopubByParent = new ConcurrentHashMap<>();
  private final List<JupyterMessage> allIopub = new CopyOnWriteArrayList<>();
  private final Thread iopubReader;
  private final Process process;
  private final Path connectionFile;
  private volatile boolean open = true;
  private byte[][] lastFrames;
  private ZMQ.Socket lastSocket;
  private String lastId;

  private KernelClient(Process process, Path connectionFile, JupyterWire wire) {
    this.process = process;
    this.connectionFile = connectionFile;
    this.wire = wire;
    wire.iopub().setReceiveTimeOut(100);
    iopubReader = new Thread(this::readIopub, "kernel-client-iopub");
    iopubReader.setDaemon(true);
    iopubReader.start();
  }

  /**
   * Starts {@code command} (its {@code {connection_file}} argument replaced by a new connection
   * file) and waits until the kernel answers kernel_info and IOPub is connected.
   */
  public static KernelClient start(List<String> command, Map<String, String> env, Duration timeout)
      throws IOException, TimeoutException, InterruptedException {
    Path file = Files.createTempFile("kernel-", ".json");
    JupyterWire wire = JupyterWire.create(file, null, "test");
    List<String> cmd = command.stream().map(a -> a.replace("{connection_file}", file.toString())).toList();
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Path log = Files.createTempFile("kernel-", ".log");
    pb.redirectOutput(log.toFile());
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      wire.close();
      throw e;
    }
    KernelClient c = new KernelClient(p, file, wire);
    c.log = log;
    c.awaitReady(timeout);
    return c;
  }

  private Path log;

  /** The kernel process's output so far (its log). */
  public String kernelLog() {
    try {
      return log == null ? "" : Files.readString(log);
    } catch (IOException e) {
      return "";
    }
  }

  public Process process() {
    return process;
  }

  private void awaitReady(Duration timeout) throws TimeoutException, InterruptedException {
    Instant end = Instant.now().plus(timeout);
    // IOPub is a PUB socket: messages sent before our subscription is connected are lost, so
    // repeat kernel_info until one of its status messages arrives.
    while (Instant.now().isBefore(end)) {
      if (!process.isAlive()) throw new IllegalStateException("kernel exited (" + process.exitValue() + "):\n" + kernelLog());
      String id = send(wire.shell(), "kernel_info_request", JupyterWire.object());
      JupyterMessage reply = receive(wire.shell(), Duration.ofSeconds(2));
      if (reply != null) {
        Instant until = Instant.now().plusMillis(500);
        while (Instant.now().isBefore(until)) {
          if (iopubByParent.containsKey(id)) return;
          Thread.sleep(10);
        }
      }
    }
    throw new TimeoutException("kernel did not answer kernel_info within " + timeout + ":\n" + kernelLog());
  }

  /** Sends a request on "shell" or "control" and waits for its reply and its IOPub idle status. */
  public Reply request(String channel, String msgType, ObjectNode content, Duration timeout)
      throws TimeoutException, InterruptedException {
    ZMQ.Socket socket = socket(channel);
    String id = send(socket, msgType, content);
    JupyterMessage reply = receive(socket, timeout);
    // Skip stale replies (e.g. to the repeated kernel_info of start-up).
    while (reply != null && !id.equals(reply.parentId())) reply = receive(socket, timeout);
    if (reply == null) throw new TimeoutException(msgType + ": no reply within " + timeout + "\n" + kernelLog());
    Instant end = Instant.now().plus(timeout);
    while (Instant.now().isBefore(end)) {
      List<JupyterMessage> msgs = iopubByParent.getOrDefault(id, List.of());
      for (JupyterMessage m : msgs) {
        if (m.type().equals("status") && m.content().get("execution_state").asText().equals("idle")) {
          return new Reply(reply, new ArrayList<>(msgs));
        }
      }
      Thread.sleep(1);
    }
    throw new TimeoutException(msgType + ": no idle status within " + timeout);
  }

  public Reply execute(String code) throws TimeoutException, InterruptedException {
    return execute(code, Duration.ofSeconds(60));
  }

  public Reply execute(String code, Duration timeout) throws TimeoutException, InterruptedException {
    return request("shell", "execute_request", JupyterWire.executeContent(code), timeout);
  }

  /** Sends a request without waiting; returns its msg_id. */
  public String sendOnly(String channel, String msgType, ObjectNode content) {
    return send(socket(channel), msgType, content);
  }

  /** Waits for the next reply on a channel (null on timeout). */
  public JupyterMessage receiveReply(String channel, Duration timeout) {
    return receive(socket(channel), timeout);
  }

  /**
   * Waits for the kernel's input_request on the stdin channel and answers it with {@code value};
   * returns the request (its content has the prompt), or null when none came in time.
   */
  public JupyterMessage answerInput(String value, Duration timeout) {
    JupyterMessage request = receive(wire.stdin(), timeout);
    if (request == null) return null;
    ObjectNode c = JupyterWire.object();
    c.put("value", value);
    send(wire.stdin(), "input_reply", c);
    return request;
  }

  /** Sends a request whose signature is wrong (for testing that the kernel drops it). */
  public synchronized String sendWithBadSignature(String msgType, ObjectNode content) {
    JupyterMessage m = wire.request(msgType, content);
    byte[][] frames = wire.frames(m);
    String sig = new String(frames[1], StandardCharsets.US_ASCII);
    frames[1] = (sig.substring(0, sig.length() - 4) + "beef").getBytes(StandardCharsets.US_ASCII);
    remember(wire.shell(), frames, m.id());
    return m.id();
  }

  /**
   * Sends the frames of the last request again, byte for byte, on the socket it went out on (for
   * testing that the kernel refuses a replay); returns the msg_id those frames carry.
   */
  public synchronized String resendLast() {
    if (lastFrames == null) throw new IllegalStateException("no request has been sent yet");
    JupyterWire.sendFrames(lastSocket, lastFrames);
    return lastId;
  }

  /** One heartbeat round trip. */
  public boolean heartbeat(Duration timeout) {
    wire.heartbeat().setReceiveTimeOut((int) timeout.toMillis());
    wire.heartbeat().send("ping");
    return wire.heartbeat().recv() != null;
  }

  public List<JupyterMessage> iopubFor(String parentId) {
    return iopubByParent.getOrDefault(parentId, List.of());
  }

  private ZMQ.Socket socket(String channel) {
    return channel.equals("control") ? wire.control() : wire.shell();
  }

  private synchronized String send(ZMQ.Socket socket, String msgType, ObjectNode content) {
    JupyterMessage m = wire.request(msgType, content);
    remember(socket, wire.frames(m), m.id());
    return m.id();
  }

  private void remember(ZMQ.Socket socket, byte[][] frames, String id) {
    JupyterWire.sendFrames(socket, frames);
    lastFrames = frames;
    lastSocket = socket;
    lastId = id;
  }

  private JupyterMessage receive(ZMQ.Socket socket, Duration timeout) {
    socket.setReceiveTimeOut((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    List<byte[]> frames = JupyterWire.receiveFrames(socket);
    return frames.isEmpty() ? null : decode(frames);
  }

  private JupyterMessage decode(List<byte[]> frames) {
    JupyterMessage m;
    try {
      m = wire.decode(frames);
    } catch (IOException e) {
      throw new UncheckedIOException("kernel sent a frame that is not JSON", e);
    }
    if (m == null) throw new IllegalStateException("kernel sent a message with a bad signature");
    return m;
  }

  private void readIopub() {
    while (open) {
      List<byte[]> frames;
      try {
        frames = JupyterWire.receiveFrames(wire.iopub());
      } catch (RuntimeException closed) {
        return;
      }
      if (frames.isEmpty()) continue;
      JupyterMessage m = decode(frames);
      allIopub.add(m);
      String parent = m.parentId();
      if (!parent.isEmpty()) {
        iopubByParent.computeIfAbsent(parent, k -> new CopyOnWriteArrayList<>()).add(m);
      }
    }
  }

  /** Asks the kernel to shut down (if still running) and waits for the process to end. */
  @Override
  public void close() {
    try {
      if (process.isAlive()) {
        try {
          request("control", "shutdown_request", shutdownContent(), Duration.ofSeconds(10));
        } catch (Exception ignored) {
          // Fall through to destroy.
        }
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    } finally {
      open = false;
      // ZeroMQ sockets belong to one thread: let the IOPub reader leave its recv (100 ms timeout)
      // before the context closes its socket, or closing the context can wait forever.
      try {
        iopubReader.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      wire.close();
      try {
        Files.deleteIfExists(connectionFile);
      } catch (IOException ignored) {
        // Temp file.
      }
    }
  }

  private static ObjectNode shutdownContent() {
    ObjectNode c = JupyterWire.object();
    c.put("restart", false);
    return c;
  }
}
