package dev.tfkit.kernel.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tfkit.io.Ports;
import io.github.spencerpark.jupyter.messages.HMACGenerator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * The frontend side of the Jupyter wire protocol (v5.3) over ZeroMQ, tfkit's one Jupyter client
 * underneath {@link KernelClient} (protocol tests, {@code tfkit kernel bench}) and the notebook
 * runner's {@code JupyterEngine}: a connection file with free loopback ports and a fresh key, the
 * sockets to the kernel's five channels, and messages framed as {@code <IDS|MSG>}, HMAC-SHA256
 * signature, header, parent header, metadata, content. It signs what it sends and refuses what is
 * not signed with the key.
 *
 * <p>ZeroMQ sockets belong to one thread: a client uses each socket from one thread only.
 */
public final class JupyterWire implements AutoCloseable {
  public static final String DELIMITER = "<IDS|MSG>";
  public static final String PROTOCOL_VERSION = "5.3";
  private static final byte[] DELIMITER_BYTES = DELIMITER.getBytes(StandardCharsets.UTF_8);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String IP = "127.0.0.1";

  private final HMACGenerator signer; // null: no key, messages unsigned (as the protocol allows)
  private final String session = UUID.randomUUID().toString();
  private final String username;
  private final ZContext zmq = new ZContext();
  private final ZMQ.Socket shell;
  private final ZMQ.Socket control;
  private final ZMQ.Socket stdin;
  private final ZMQ.Socket iopub;
  private final ZMQ.Socket heartbeat;

  private JupyterWire(ObjectNode connection, String username) {
    String key = connection.path("key").asText();
    try {
      this.signer = key.isEmpty() ? null : new HMACGenerator("hmac-sha256", key);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
    this.username = username;
    String ip = connection.path("ip").asText();
    // Like jupyter_client: shell and stdin share one identity (set before connecting), so the
    // kernel's input_request (addressed with the shell request's identity) reaches the stdin socket.
    byte[] identity = session.getBytes(StandardCharsets.UTF_8);
    shell = socket(SocketType.DEALER, identity, ip, connection.path("shell_port").asInt());
    control = socket(SocketType.DEALER, null, ip, connection.path("control_port").asInt());
    stdin = socket(SocketType.DEALER, identity, ip, connection.path("stdin_port").asInt());
    heartbeat = socket(SocketType.REQ, null, ip, connection.path("hb_port").asInt());
    iopub = zmq.createSocket(SocketType.SUB);
    iopub.setLinger(0);
    iopub.subscribe(new byte[0]);
    iopub.connect("tcp://" + ip + ":" + connection.path("iopub_port").asInt());
  }

  /**
   * Writes a new connection file (127.0.0.1, five free ports, a random HMAC-SHA256 key;
   * {@code kernelName} too unless null) for a kernel about to start, and connects to its channels.
   * {@code username} goes into the headers of what this wire sends.
   */
  public static JupyterWire create(Path connectionFile, String kernelName, String username) throws IOException {
    int[] ports = Ports.freeLoopbackPorts(5);
    ObjectNode conn = JSON.createObjectNode();
    conn.put("transport", "tcp");
    conn.put("ip", IP);
    conn.put("shell_port", ports[0]);
    conn.put("iopub_port", ports[1]);
    conn.put("stdin_port", ports[2]);
    conn.put("control_port", ports[3]);
    conn.put("hb_port", ports[4]);
    conn.put("key", UUID.randomUUID().toString());
    conn.put("signature_scheme", "hmac-sha256");
    if (kernelName != null) conn.put("kernel_name", kernelName);
    Files.writeString(connectionFile, conn.toPrettyString(), StandardCharsets.UTF_8);
    return new JupyterWire(conn, username);
  }

  private ZMQ.Socket socket(SocketType type, byte[] identity, String ip, int port) {
    ZMQ.Socket s = zmq.createSocket(type);
    s.setLinger(0);
    if (identity != null) s.setIdentity(identity);
    s.connect("tcp://" + ip + ":" + port);
    return s;
  }

  public ZMQ.Socket shell() {
    return shell;
  }

  public ZMQ.Socket control() {
    return control;
  }

  public ZMQ.Socket stdin() {
    return stdin;
  }

  /** The IOPub subscription (to every topic). */
  public ZMQ.Socket iopub() {
    return iopub;
  }

  public ZMQ.Socket heartbeat() {
    return heartbeat;
  }

  /** A poller over {@code size} of these sockets. */
  public ZMQ.Poller poller(int size) {
    return zmq.createPoller(size);
  }

  /** A new empty JSON object, for a request's content. */
  public static ObjectNode object() {
    return JSON.createObjectNode();
  }

  /**
   * The content of an execute_request for {@code code} as a notebook frontend sends it: not silent,
   * stored in the history, no stdin, stop on error.
   */
  public static ObjectNode executeContent(String code) {
    ObjectNode c = object();
    c.put("code", code);
    c.put("silent", false);
    c.put("store_history", true);
    c.putObject("user_expressions");
    c.put("allow_stdin", false);
    c.put("stop_on_error", true);
    return c;
  }

  /** A new request message of {@code type} with {@code content}. */
  public JupyterMessage request(String type, ObjectNode content) {
    ObjectNode header = JSON.createObjectNode();
    header.put("msg_id", UUID.randomUUID().toString());
    header.put("session", session);
    header.put("username", username);
    header.put("date", Instant.now().toString());
    header.put("msg_type", type);
    header.put("version", PROTOCOL_VERSION);
    return new JupyterMessage(header, JSON.createObjectNode(), JSON.createObjectNode(), content);
  }

  /** Sends a signed message on {@code socket}. */
  public void send(ZMQ.Socket socket, JupyterMessage m) {
    sendFrames(socket, frames(m));
  }

  /** The frames of a message: delimiter, signature, header, parent header, metadata, content. */
  public byte[][] frames(JupyterMessage m) {
    byte[][] parts = {bytes(m.header()), bytes(m.parentHeader()), bytes(m.metadata()), bytes(m.content())};
    byte[] signature = sign(parts).getBytes(StandardCharsets.US_ASCII);
    return new byte[][] {DELIMITER_BYTES, signature, parts[0], parts[1], parts[2], parts[3]};
  }

  /** Sends {@code frames} as one multipart message, byte for byte. */
  public static void sendFrames(ZMQ.Socket socket, byte[][] frames) {
    for (int i = 0; i < frames.length - 1; i++) socket.sendMore(frames[i]);
    socket.send(frames[frames.length - 1], 0);
  }

  /**
   * Reads one multipart message from {@code socket} (waiting as long as its receive timeout
   * says); null when none came or it is not a correctly signed protocol message.
   *
   * @throws IOException when a correctly signed frame is not JSON
   */
  public JupyterMessage receive(ZMQ.Socket socket) throws IOException {
    List<byte[]> frames = receiveFrames(socket);
    return frames.isEmpty() ? null : decode(frames);
  }

  /** The frames of one multipart message from {@code socket}; empty when none came in time. */
  public static List<byte[]> receiveFrames(ZMQ.Socket socket) {
    List<byte[]> frames = new ArrayList<>();
    do {
      byte[] f = socket.recv(0);
      if (f == null) break;
      frames.add(f);
    } while (socket.hasReceiveMore());
    return frames;
  }

  /**
   * The message in {@code frames}; null when its signature is wrong or it is not a protocol message.
   *
   * @throws IOException when a correctly signed frame is not JSON
   */
  public JupyterMessage decode(List<byte[]> frames) throws IOException {
    int d = -1;
    for (int i = 0; i < frames.size(); i++) {
      if (Arrays.equals(DELIMITER_BYTES, frames.get(i))) {
        d = i;
        break;
      }
    }
    if (d < 0 || frames.size() < d + 6) return null;
    byte[][] parts = {frames.get(d + 2), frames.get(d + 3), frames.get(d + 4), frames.get(d + 5)};
    byte[] expected = sign(parts).getBytes(StandardCharsets.US_ASCII);
    if (signer != null && !MessageDigest.isEqual(expected, frames.get(d + 1))) return null;
    return new JupyterMessage(obj(parts[0]), obj(parts[1]), obj(parts[2]), obj(parts[3]));
  }

  private static ObjectNode obj(byte[] bytes) throws IOException {
    JsonNode n = JSON.readTree(bytes);
    return n instanceof ObjectNode o ? o : JSON.createObjectNode();
  }

  private static byte[] bytes(ObjectNode json) {
    try {
      return JSON.writeValueAsBytes(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a message frame as JSON", e);
    }
  }

  /** The hex HMAC-SHA256 of the four JSON frames ("" when the key is empty, as the protocol says). */
  String sign(byte[][] parts) {
    return signer == null ? "" : signer.calculateSignature(parts);
  }

  /** Closes the sockets (pending messages are dropped). */
  @Override
  public void close() {
    zmq.close();
  }
}
