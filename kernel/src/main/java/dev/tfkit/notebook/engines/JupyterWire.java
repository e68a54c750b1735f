package dev.tfkit.notebook.engines;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tfkit.notebook.document.NotebookDocument;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.zeromq.ZMQ;

/**
 * The Jupyter wire protocol over ZeroMQ: frames {@code <IDS|MSG>}, HMAC-SHA256 signature, header,
 * parent header, metadata, content; signs what it sends and drops what is not signed with the key.
 */
final class JupyterWire {
  static final String DELIMITER = "<IDS|MSG>";
  static final String PROTOCOL_VERSION = "5.3";
  private static final ObjectMapper JSON = NotebookDocument.MAPPER;

  private final byte[] key;
  private final String session = UUID.randomUUID().toString();

  JupyterWire(String key) {
    this.key = key.getBytes(StandardCharsets.UTF_8);
  }

  /** A new request message of {@code type} with {@code content}. */
  JupyterMessage request(String type, ObjectNode content) {
    ObjectNode header = JSON.createObjectNode();
    header.put("msg_id", UUID.randomUUID().toString());
    header.put("session", session);
    header.put("username", System.getProperty("user.name", "tfkit"));
    header.put("date", Instant.now().toString());
    header.put("msg_type", type);
    header.put("version", PROTOCOL_VERSION);
    return new JupyterMessage(header, JSON.createObjectNode(), JSON.createObjectNode(), content);
  }

  /** Sends a signed message on {@code socket}. */
  void send(ZMQ.Socket socket, JupyterMessage m) throws IOException {
    byte[][] parts = {
      JSON.writeValueAsBytes(m.header()), JSON.writeValueAsBytes(m.parentHeader()),
      JSON.writeValueAsBytes(m.metadata()), JSON.writeValueAsBytes(m.content())
    };
    socket.sendMore(DELIMITER);
    socket.sendMore(sign(parts));
    for (int i = 0; i < parts.length; i++) {
      if (i < parts.length - 1) socket.sendMore(parts[i]);
      else socket.send(parts[i], 0);
    }
  }

  /**
   * Reads one multipart message from {@code socket} (which has input); null when its signature is
   * wrong or it is not a protocol message.
   */
  JupyterMessage receive(ZMQ.Socket socket) throws IOException {
    List<byte[]> frames = new ArrayList<>();
    do {
      byte[] f = socket.recv(0);
      if (f == null) break;
      frames.add(f);
    } while (socket.hasReceiveMore());
    int d = -1;
    for (int i = 0; i < frames.size(); i++) {
      if (DELIMITER.equals(new String(frames.get(i), StandardCharsets.UTF_8))) {
        d = i;
        break;
      }
    }
    if (d < 0 || frames.size() < d + 6) return null;
    byte[][] parts = {frames.get(d + 2), frames.get(d + 3), frames.get(d + 4), frames.get(d + 5)};
    byte[] expected = sign(parts).getBytes(StandardCharsets.US_ASCII);
    if (key.length > 0 && !MessageDigest.isEqual(expected, frames.get(d + 1))) return null;
    return new JupyterMessage(obj(parts[0]), obj(parts[1]), obj(parts[2]), obj(parts[3]));
  }

  private static ObjectNode obj(byte[] bytes) throws IOException {
    JsonNode n = JSON.readTree(bytes);
    return n instanceof ObjectNode o ? o : JSON.createObjectNode();
  }

  /** The hex HMAC-SHA256 of the four JSON frames ("" when the key is empty, as the protocol says). */
  String sign(byte[][] parts) {
    if (key.length == 0) return "";
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      for (byte[] p : parts) mac.update(p);
      return HexFormat.of().formatHex(mac.doFinal());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }
}
