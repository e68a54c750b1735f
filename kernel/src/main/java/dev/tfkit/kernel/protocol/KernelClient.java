package dev.tfkit.kernel.protocol;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.tfkit.io.Ports;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * A minimal Jupyter frontend over ZeroMQ: starts a kernel process with a fresh connection file,
 * sends signed requests on shell or control, and collects the IOPub messages each request causes.
 * For protocol tests and the kernel benchmark.
 */
public final class KernelClient implements AutoCloseable {
  /** A request's reply and the IOPub messages it caused (up to its idle status). */
  public record Reply(JsonObject reply, List<JsonObject> iopub) {
    public JsonObject content() {
      return reply.getAsJsonObject("content");
    }

    /** IOPub messages of one type ("stream", "execute_result" ...). */
    public List<JsonObject> iopub(String msgType) {
      return iopub.stream().filter(m -> msgType(m).equals(msgType)).toList();
    }

    /** Concatenated text of one stream ("stdout" or "stderr"). */
    public String stream(String name) {
      StringBuilder sb = new StringBuilder();
      for (JsonObject m : iopub("stream")) {
        JsonObject c = m.getAsJsonObject("content");
        if (c.get("name").getAsString().equals(name)) sb.append(c.get("text").getAsString());
      }
      return sb.toString();
    }
  }

  private static final Gson GSON = new Gson();
  private static final byte[] DELIMITER = "<IDS|MSG>".getBytes(StandardCharsets.UTF_8);

  private final ZContext zmq = new ZContext();
  private final ZMQ.Socket shell;
  private final ZMQ.Socket control;
  private final ZMQ.Socket iopubSocket;
  private final ZMQ.Socket heartbeat;
  private final ZMQ.Socket stdin;
  private final String key;
  private final String session = UUID.randomUUID().toString();
  private final Map<String, List<JsonObject>> iopubByParent = new ConcurrentHashMap<>();
  private final List<JsonObject> allIopub = new CopyOnWriteArrayList<>();
  private final Thread iopubReader;
  private final Process process;
  private final Path connectionFile;
  private volatile boolean open = true;
  private byte[][] lastFrames;
  private ZMQ.Socket lastSocket;
  private String lastId;

  private KernelClient(Process process, Path connectionFile, JsonObject conn) {
    this.process = process;
    this.connectionFile = connectionFile;
    this.key = conn.get("key").getAsString();
    String base = "tcp://" + conn.get("ip").getAsString() + ":";
    shell = zmq.createSocket(SocketType.DEALER);
    // Like jupyter_client: shell and stdin share one identity, so the kernel's input_request
    // (addressed with the shell request's identity) reaches our stdin socket.
    shell.setIdentity(session.getBytes(StandardCharsets.UTF_8));
    shell.connect(base + conn.get("shell_port").getAsInt());
    control = zmq.createSocket(SocketType.DEALER);
    control.connect(base + conn.get("control_port").getAsInt());
    stdin = zmq.createSocket(SocketType.DEALER);
    stdin.setIdentity(session.getBytes(StandardCharsets.UTF_8));
    stdin.connect(base + conn.get("stdin_port").getAsInt());
    heartbeat = zmq.createSocket(SocketType.REQ);
    heartbeat.connect(base + conn.get("hb_port").getAsInt());
    iopubSocket = zmq.createSocket(SocketType.SUB);
    iopubSocket.subscribe(new byte[0]);
    iopubSocket.connect(base + conn.get("iopub_port").getAsInt());
    iopubSocket.setReceiveTimeOut(100);
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
    JsonObject conn = new JsonObject();
    conn.addProperty("transport", "tcp");
    conn.addProperty("ip", "127.0.0.1");
    int[] ports = Ports.freeLoopbackPorts(5);
    conn.addProperty("shell_port", ports[0]);
    conn.addProperty("iopub_port", ports[1]);
    conn.addProperty("stdin_port", ports[2]);
    conn.addProperty("control_port", ports[3]);
    conn.addProperty("hb_port", ports[4]);
    conn.addProperty("signature_scheme", "hmac-sha256");
    conn.addProperty("key", UUID.randomUUID().toString());
    Files.writeString(file, GSON.toJson(conn));
    List<String> cmd = command.stream().map(a -> a.replace("{connection_file}", file.toString())).toList();
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Path log = Files.createTempFile("kernel-", ".log");
    pb.redirectOutput(log.toFile());
    Process p = pb.start();
    KernelClient c = new KernelClient(p, file, conn);
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
      String id = send(shell, "kernel_info_request", new JsonObject());
      JsonObject reply = receive(shell, Duration.ofSeconds(2));
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
  public Reply request(String channel, String msgType, JsonObject content, Duration timeout)
      throws TimeoutException, InterruptedException {
    ZMQ.Socket socket = channel.equals("control") ? control : shell;
    String id = send(socket, msgType, content);
    JsonObject reply = receive(socket, timeout);
    // Skip stale replies (e.g. to the repeated kernel_info of start-up).
    while (reply != null && !id.equals(parentId(reply))) reply = receive(socket, timeout);
    if (reply == null) throw new TimeoutException(msgType + ": no reply within " + timeout + "\n" + kernelLog());
    Instant end = Instant.now().plus(timeout);
    while (Instant.now().isBefore(end)) {
      List<JsonObject> msgs = iopubByParent.getOrDefault(id, List.of());
      for (JsonObject m : msgs) {
        if (msgType(m).equals("status") && m.getAsJsonObject("content").get("execution_state").getAsString().equals("idle")) {
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
    JsonObject c = new JsonObject();
    c.addProperty("code", code);
    c.addProperty("silent", false);
    c.addProperty("store_history", true);
    c.add("user_expressions", new JsonObject());
    c.addProperty("allow_stdin", false);
    c.addProperty("stop_on_error", true);
    return request("shell", "execute_request", c, timeout);
  }

  /** Sends a request without waiting; returns its msg_id. */
  public String sendOnly(String channel, String msgType, JsonObject content) {
    return send(channel.equals("control") ? control : shell, msgType, content);
  }

  /** Waits for the next reply on a channel (null on timeout). */
  public JsonObject receiveReply(String channel, Duration timeout) {
    return receive(channel.equals("control") ? control : shell, timeout);
  }

  /**
   * Waits for the kernel's input_request on the stdin channel and answers it with {@code value};
   * returns the request (its content has the prompt), or null when none came in time.
   */
  public JsonObject answerInput(String value, Duration timeout) {
    JsonObject request = receive(stdin, timeout);
    if (request == null) return null;
    JsonObject c = new JsonObject();
    c.addProperty("value", value);
    send(stdin, "input_reply", c);
    return request;
  }

  /** Sends a request whose signature is wrong (for testing that the kernel drops it). */
  public String sendWithBadSignature(String msgType, JsonObject content) {
    return send(shell, msgType, content, true);
  }

  /**
   * Sends the frames of the last request again, byte for byte, on the socket it went out on (for
   * testing that the kernel refuses a replay); returns the msg_id those frames carry.
   */
  public synchronized String resendLast() {
    if (lastFrames == null) throw new IllegalStateException("no request has been sent yet");
    for (int i = 0; i < lastFrames.length - 1; i++) lastSocket.sendMore(lastFrames[i]);
    lastSocket.send(lastFrames[lastFrames.length - 1]);
    return lastId;
  }

  /** One heartbeat round trip. */
  public boolean heartbeat(Duration timeout) {
    heartbeat.setReceiveTimeOut((int) timeout.toMillis());
    heartbeat.send("ping");
    return heartbeat.recv() != null;
  }

  public List<JsonObject> iopubFor(String parentId) {
    return iopubByParent.getOrDefault(parentId, List.of());
  }

  private String send(ZMQ.Socket socket, String msgType, JsonObject content) {
    return send(socket, msgType, content, false);
  }

  private synchronized String send(ZMQ.Socket socket, String msgType, JsonObject content, boolean badSignature) {
    String id = UUID.randomUUID().toString();
    JsonObject header = new JsonObject();
    header.addProperty("msg_id", id);
    header.addProperty("session", session);
    header.addProperty("username", "test");
    header.addProperty("date", Instant.now().toString());
    header.addProperty("msg_type", msgType);
    header.addProperty("version", "5.3");
    byte[][] parts = {
      bytes(GSON.toJson(header)), bytes("{}"), bytes("{}"), bytes(GSON.toJson(content))
    };
    String sig = sign(parts);
    if (badSignature) sig = sig.substring(0, sig.length() - 4) + "beef";
    byte[][] frames = {DELIMITER, bytes(sig), parts[0], parts[1], parts[2], parts[3]};
    for (int i = 0; i < frames.length - 1; i++) socket.sendMore(frames[i]);
    socket.send(frames[frames.length - 1]);
    lastFrames = frames;
    lastSocket = socket;
    lastId = id;
    return id;
  }

  private JsonObject receive(ZMQ.Socket socket, Duration timeout) {
    socket.setReceiveTimeOut((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    List<byte[]> frames = new ArrayList<>();
    byte[] f = socket.recv();
    if (f == null) return null;
    frames.add(f);
    while (socket.hasReceiveMore()) frames.add(socket.recv());
    return parse(frames);
  }

  private JsonObject parse(List<byte[]> frames) {
    int d = 0;
    while (d < frames.size() && !Arrays.equals(frames.get(d), DELIMITER)) d++;
    String sig = new String(frames.get(d + 1), StandardCharsets.UTF_8);
    byte[][] parts = {frames.get(d + 2), frames.get(d + 3), frames.get(d + 4), frames.get(d + 5)};
    if (!sign(parts).equals(sig)) throw new IllegalStateException("kernel sent a message with a bad signature");
    JsonObject m = new JsonObject();
    m.add("header", new JsonParser().parse(str(parts[0])));
    m.add("parent_header", new JsonParser().parse(str(parts[1])));
    m.add("metadata", new JsonParser().parse(str(parts[2])));
    m.add("content", new JsonParser().parse(str(parts[3])));
    return m;
  }

  private void readIopub() {
    while (open) {
      byte[] f;
      try {
        f = iopubSocket.recv();
      } catch (RuntimeException closed) {
        return;
      }
      if (f == null) continue;
      List<byte[]> frames = new ArrayList<>();
      frames.add(f);
      while (iopubSocket.hasReceiveMore()) frames.add(iopubSocket.recv());
      JsonObject m = parse(frames);
      allIopub.add(m);
      JsonObject parent = m.getAsJsonObject("parent_header");
      if (parent != null && parent.has("msg_id")) {
        iopubByParent.computeIfAbsent(parent.get("msg_id").getAsString(), k -> new CopyOnWriteArrayList<>()).add(m);
      }
    }
  }

  private static String parentId(JsonObject m) {
    JsonObject p = m.getAsJsonObject("parent_header");
    return p != null && p.has("msg_id") ? p.get("msg_id").getAsString() : null;
  }

  public static String msgType(JsonObject m) {
    return m.getAsJsonObject("header").get("msg_type").getAsString();
  }

  private String sign(byte[][] parts) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      for (byte[] p : parts) mac.update(p);
      return HexFormat.of().formatHex(mac.doFinal());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String str(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
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
      zmq.close();
      try {
        Files.deleteIfExists(connectionFile);
      } catch (IOException ignored) {
        // Temp file.
      }
    }
  }

  private static JsonObject shutdownContent() {
    JsonObject c = new JsonObject();
    c.addProperty("restart", false);
    return c;
  }
}
