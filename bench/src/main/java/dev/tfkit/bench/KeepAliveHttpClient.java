package dev.tfkit.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A minimal HTTP/1.1 client on one kept-alive connection, as load generators such as wrk use: it
 * writes a prepared request and reads the status line, the headers and a Content-Length or chunked
 * body. It measures the server, not a client library (the JDK's HttpClient adds ~300 µs per call
 * here, more than the server's whole work). One instance per thread; not thread-safe.
 */
final class KeepAliveHttpClient implements AutoCloseable {
  /** A response: status code and body. */
  record Response(int status, byte[] body) {}

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  KeepAliveHttpClient(URI base) throws IOException {
    socket = new Socket(base.getHost(), base.getPort());
    socket.setTcpNoDelay(true);
    socket.setSoTimeout(60_000);
    in = new BufferedInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  /** The bytes of a POST of {@code json} to {@code path}. */
  static byte[] post(String path, String json) {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    String head =
        "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            + "Content-Length: " + body.length + "\r\n\r\n";
    byte[] h = head.getBytes(StandardCharsets.US_ASCII);
    byte[] all = new byte[h.length + body.length];
    System.arraycopy(h, 0, all, 0, h.length);
    System.arraycopy(body, 0, all, h.length, body.length);
    return all;
  }

  Response send(byte[] request) throws IOException {
    out.write(request);
    out.flush();
    String status = line();
    String[] parts = status.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
      throw new IOException("not an HTTP response: " + status);
    }
    int code = Integer.parseInt(parts[1]);
    long length = -1;
    boolean chunked = false;
    for (String h = line(); !h.isEmpty(); h = line()) {
      String lower = h.toLowerCase(Locale.ROOT);
      if (lower.startsWith("content-length:")) {
        length = Long.parseLong(lower.substring(15).trim());
      } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
        chunked = true;
      }
    }
    if (chunked) {
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      while (true) {
        int n = Integer.parseInt(line().split(";", 2)[0].trim(), 16);
        if (n == 0) {
          line();
          return new Response(code, body.toByteArray());
        }
        body.write(in.readNBytes(n));
        line();
      }
    }
    return new Response(code, length > 0 ? in.readNBytes((int) length) : new byte[0]);
  }

  private String line() throws IOException {
    StringBuilder sb = new StringBuilder();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        throw new EOFException("connection closed by the server");
      }
      if (c != '\r') {
        sb.append((char) c);
      }
    }
    return sb.toString();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
