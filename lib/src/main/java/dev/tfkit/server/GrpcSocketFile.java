package dev.tfkit.server;

import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * The Unix domain socket file of {@code --grpc_socket_path}: checked and cleared before the server
 * binds it, removed when the server stops.
 */
final class GrpcSocketFile {
  private static final System.Logger LOG = System.getLogger("dev.tfkit.server");
  /** sun_path holds 108 bytes on Linux, the last one the terminating NUL. */
  static final int MAX_PATH_BYTES = 107;

  private static final int S_IFMT = 0170000;
  private static final int S_IFSOCK = 0140000;

  private GrpcSocketFile() {}

  /**
   * The absolute path to bind, after checking that Netty's epoll transport is here, that the path
   * fits a socket address and that nothing live is there: a socket file nobody listens on (left by
   * a server that died) is removed; a live socket or any other file is refused.
   */
  static Path prepare(Path path) throws IOException {
    if (!Epoll.isAvailable()) {
      throw new IllegalArgumentException(
          "--grpc_socket_path " + path + " needs Netty's native epoll transport (Linux x86_64 or"
              + " aarch64), which did not load: " + Epoll.unavailabilityCause());
    }
    Path abs = path.toAbsolutePath().normalize();
    int bytes = abs.toString().getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_PATH_BYTES) {
      throw new IllegalArgumentException(
          "--grpc_socket_path " + abs + " is " + bytes + " bytes long; a Unix socket path may have at"
              + " most " + MAX_PATH_BYTES + ": use a shorter one");
    }
    Path parent = abs.getParent();
    if (parent == null || !Files.isDirectory(parent)) {
      throw new IllegalArgumentException(
          "--grpc_socket_path " + abs + ": folder " + parent + " does not exist");
    }
    if (!Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
      return abs;
    }
    if (!isSocket(abs)) {
      throw new IllegalArgumentException(
          "--grpc_socket_path " + abs + " exists and is not a socket; refusing to replace it");
    }
    if (listening(abs)) {
      throw new IllegalArgumentException(
          "--grpc_socket_path " + abs + ": another server is listening on this socket");
    }
    // Nobody accepts connections there: a stale file of a server that is gone.
    try {
      Files.deleteIfExists(abs);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "--grpc_socket_path " + abs + " is a stale socket file (nothing listens on it) that"
              + " cannot be removed: " + e, e);
    }
    LOG.log(
        System.Logger.Level.WARNING,
        "removed stale socket file " + abs + " (no process listens on it; left by a server that"
            + " did not shut down)");
    return abs;
  }

  /** Whether a process accepts connections on this socket file. */
  private static boolean listening(Path abs) {
    SocketChannel probe;
    try {
      probe = SocketChannel.open(UnixDomainSocketAddress.of(abs));
    } catch (IOException refused) {
      return false;
    }
    try {
      probe.close();
    } catch (IOException ignored) {
      // it connected: that is all we wanted to know
    }
    return true;
  }

  /** Removes the socket file if it is still a socket (never another file put there since). */
  static void remove(Path abs) {
    try {
      if (Files.exists(abs, LinkOption.NOFOLLOW_LINKS) && isSocket(abs)) {
        Files.deleteIfExists(abs);
      }
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "could not remove socket file " + abs + ": " + e);
    }
  }

  static boolean isSocket(Path p) throws IOException {
    Object mode = Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    return mode instanceof Integer m && (m & S_IFMT) == S_IFSOCK;
  }
}
