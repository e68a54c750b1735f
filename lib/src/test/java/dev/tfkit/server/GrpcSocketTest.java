package dev.tfkit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfkit.serving.ConnectionOptions;
import dev.tfkit.serving.RetryPolicy;
import dev.tfkit.serving.ServingException;
import dev.tfkit.serving.ServingModel;
import dev.tfkit.serving.Tls;
import dev.tfkit.zoo.Fixtures;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** TF Serving's {@code --grpc_socket_path}: gRPC on a Unix domain socket, called by tfkit's client. */
class GrpcSocketTest {
  private Path dir;
  private Path socket;

  @BeforeEach
  void dir() throws Exception {
    // Under /tmp, not a deep build folder: a socket path has at most 107 bytes.
    dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "tfkit-uds");
    socket = dir.resolve("grpc.sock");
  }

  @AfterEach
  void clean() throws Exception {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private EmbeddedServer.Builder server() {
    return EmbeddedServer.builder()
        .model("half_plus_two", Fixtures.tfServing("saved_model_half_plus_two_cpu"))
        .fileSystemPollWait(Duration.ZERO)
        .grpcPort(0)
        .noRest()
        .grpcSocketPath(socket);
  }

  private static float[] predict(String target, ConnectionOptions o) {
    try (ServingModel m = ServingModel.grpc(target, "half_plus_two", o).retry(RetryPolicy.none())) {
      return m.run(Map.of("x", new float[] {1f, 2f, 5f})).output("y").floats();
    }
  }

  @Test
  void predictOverTheSocketAndTheFileGoesWithTheServer() throws Exception {
    try (EmbeddedServer server = server().start()) {
      assertThat(server.grpcSocketTarget()).isEqualTo("unix:" + socket.toAbsolutePath());
      assertThat(GrpcSocketFile.isSocket(socket)).isTrue();
      assertThat(predict(server.grpcSocketTarget(), ConnectionOptions.defaults()))
          .containsExactly(2.5f, 3f, 4.5f);
      assertThat(predict("unix://" + socket.toAbsolutePath(), ConnectionOptions.defaults()))
          .containsExactly(2.5f, 3f, 4.5f);
      // the TCP port serves beside it
      assertThat(predict(server.grpcTarget(), ConnectionOptions.defaults()))
          .containsExactly(2.5f, 3f, 4.5f);
    }
    assertThat(socket).doesNotExist();
  }

  @Test
  void theSocketIsTlsWhenTheServerIs() throws Exception {
    TestCertificates.Issued ca = TestCertificates.ca("tfkit test CA");
    TestCertificates.Issued cert = TestCertificates.server(ca, TestCertificates.ecKeys());
    Path cfg = dir.resolve("ssl.config");
    Files.writeString(cfg, GrpcTlsTest.sslConfig(cert.keyPem(), cert.certPem(), null, false));
    try (EmbeddedServer server = server().sslConfigFile(cfg).start()) {
      // the socket's authority is not a host name: the certificate is checked against localhost
      ConnectionOptions tls =
          ConnectionOptions.defaults().tls(Tls.trusting(ca.certPem()).withAuthority("localhost"));
      assertThat(predict(server.grpcSocketTarget(), tls)).containsExactly(2.5f, 3f, 4.5f);
      assertThatThrownBy(() -> predict(server.grpcSocketTarget(), ConnectionOptions.defaults()))
          .isInstanceOf(ServingException.class);
    }
  }

  @Test
  void aStaleSocketFileIsReplacedALiveOneAndOtherFilesAreRefused() throws Exception {
    // A socket bound and closed without unlinking: what a killed server leaves behind.
    try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      dead.bind(UnixDomainSocketAddress.of(socket));
    }
    assertThat(GrpcSocketFile.isSocket(socket)).isTrue();
    try (EmbeddedServer server = server().start()) {
      assertThat(predict(server.grpcSocketTarget(), ConnectionOptions.defaults()))
          .containsExactly(2.5f, 3f, 4.5f);
    }
    assertThat(socket).doesNotExist();

    try (ServerSocketChannel live = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      live.bind(UnixDomainSocketAddress.of(socket));
      assertThatThrownBy(() -> server().start())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(socket.toString())
          .hasMessageContaining("another server is listening");
      assertThat(GrpcSocketFile.isSocket(socket)).as("the live socket is left alone").isTrue();
    }
    Files.delete(socket);

    Files.writeString(socket, "not a socket");
    assertThatThrownBy(() -> server().start())
        .hasMessageContaining(socket.toString())
        .hasMessageContaining("exists and is not a socket");
    assertThat(Files.readString(socket)).isEqualTo("not a socket");
  }

  @Test
  void pathsTooLongForASocketAreRefused() {
    Path deep = dir.resolve("d".repeat(120)).resolve("grpc.sock");
    assertThatThrownBy(() -> server().grpcSocketPath(deep).start())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("a Unix socket path may have at most 107");
  }
}
