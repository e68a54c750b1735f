package dev.tfkit.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds free TCP ports on the loopback address 127.0.0.1, for the servers and kernels tfkit starts
 * itself (the embedded server in the demo, Jupyter kernels' five sockets, tests).
 *
 * <p>A port is free when it is asked for; another process may take it before the caller binds it,
 * which is the usual, accepted race of this approach (the same one Jupyter's own launcher has).
 */
public final class Ports {
  private Ports() {}

  // Not InetAddress.getLoopbackAddress(): that may be ::1, and kernels' connection files say 127.0.0.1.
  private static final InetAddress LOOPBACK = ipv4Loopback();

  /**
   * Checks that {@code address} is {@code host:port} ({@code [v6]:port} for IPv6, port 1..65535),
   * the form of a TCP address to dial; {@code what} names the setting in the message.
   *
   * @throws IllegalArgumentException naming {@code what} and the address otherwise
   */
  public static void checkHostPort(String address, String what) {
    int colon = address.lastIndexOf(':');
    String host = colon < 0 ? "" : address.substring(0, colon);
    String port = colon < 0 ? "" : address.substring(colon + 1);
    boolean ok = !host.isBlank() && !port.isEmpty() && port.length() <= 5
        && port.chars().allMatch(c -> c >= '0' && c <= '9')
        && Integer.parseInt(port) > 0 && Integer.parseInt(port) <= 65535
        && (host.indexOf(':') < 0 || host.startsWith("[") && host.endsWith("]"))
        && host.chars().noneMatch(c -> Character.isWhitespace(c) || c == '/');
    if (!ok) {
      throw new IllegalArgumentException(
          what + " must be HOST:PORT (port 1..65535; [IPv6]:PORT), got '" + address + "'");
    }
  }

  /** Returns a TCP port that is free on 127.0.0.1 right now. */
  public static int freeLoopbackPort() {
    return freeLoopbackPorts(1)[0];
  }

  /**
   * Returns {@code n} different TCP ports that are free on 127.0.0.1 right now; all are held open
   * until every one is found, so no port appears twice.
   */
  public static int[] freeLoopbackPorts(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("number of ports must be at least 1, got " + n);
    }
    List<ServerSocket> held = new ArrayList<>(n);
    try {
      int[] ports = new int[n];
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0, 1, LOOPBACK);
        held.add(s);
        ports[i] = s.getLocalPort();
      }
      return ports;
    } catch (IOException e) {
      throw new UncheckedIOException("no free TCP port on " + LOOPBACK.getHostAddress(), e);
    } finally {
      for (ServerSocket s : held) {
        try {
          s.close();
        } catch (IOException ignored) {
          // closing a socket that was only bound cannot lose anything
        }
      }
    }
  }

  private static InetAddress ipv4Loopback() {
    try {
      return InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1});
    } catch (IOException e) {
      throw new AssertionError("a 4-byte address is always valid", e);
    }
  }
}
