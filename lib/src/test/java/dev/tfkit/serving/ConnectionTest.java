package dev.tfkit.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.Status;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.util.CertificateUtils;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Real loopback connections: sharing, message size limits, TLS (gRPC and REST). */
class ConnectionTest {
  private Server server;

  private static String pem(String name) throws IOException {
    try (InputStream in = ConnectionTest.class.getResourceAsStream("tls/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    }
  }

  private static InputStream stream(String name) {
    return ConnectionTest.class.getResourceAsStream("tls/" + name);
  }

  private String start(ServerCredentials creds) throws IOException {
    FakeServing fake = new FakeServing();
    NettyServerBuilder b = creds == null
        ? NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        : NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), creds);
    server = b.addService(fake.predictionService()).addService(fake.modelService())
        .maxInboundMessageSize(64 << 20).build().start();
    return "127.0.0.1:" + server.getPort();
  }

  @AfterEach
  void stop() throws InterruptedException {
    if (server != null) server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void oneChannelPerTargetAndOptionsClosedWithItsLastClient() throws IOException {
    String target = start(null);
    ServingModel echo = ServingModel.grpc(target, "echo");
    ServingModel affine = ServingModel.grpc(target, "affine");
    assertThat(SharedTransports.openConnections(target)).isEqualTo(1);
    assertThat(echo.run(Map.of("x", 1f)).output("x").floatValue()).isEqualTo(1f);
    assertThat(affine.run(Map.of("x", 1f)).output("y").floatValue()).isEqualTo(3f);
    ServingModel bigger = ServingModel.grpc(target, "echo",
        ConnectionOptions.defaults().maxInboundMessageSize(1 << 30));
    assertThat(SharedTransports.openConnections(target)).isEqualTo(2);
    bigger.close();
    echo.version(1).close(); // a derived view closes its root's hold
    assertThat(SharedTransports.openConnections(target)).isEqualTo(1);
    assertThat(affine.run(Map.of("x", 2f)).output("y").floatValue()).isEqualTo(5f);
    affine.close();
    assertThat(SharedTransports.openConnections(target)).isZero();
    assertThatThrownBy(() -> echo.run(Map.of("x", 1f))).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void responsesBeyondGrpcsFourMegabyteDefaultArriveAndTheLimitIsEnforced() throws IOException {
    String target = start(null);
    float[] big = new float[2_000_000]; // 8 MB: over grpc-java's default 4 MiB inbound limit
    big[big.length - 1] = 7f;
    try (ServingModel m = ServingModel.grpc(target, "echo")) {
      assertThat(m.run(Map.of("x", big)).output("x").floats()[big.length - 1]).isEqualTo(7f);
    }
    try (ServingModel small = ServingModel.grpc(target, "echo",
        ConnectionOptions.defaults().maxInboundMessageSize(1 << 20))) {
      ServingException e = catchThrowableOfType(ServingException.class,
          () -> small.run(Map.of("x", big)));
      assertThat(e.code()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(e).hasMessageContaining("'echo'");
    }
  }

  @Test
  void dnsTargetsWork() throws IOException {
    String target = start(null);
    String dns = "dns:///" + target;
    assertThat(ConnectionOptions.defaults().loadBalancingPolicyFor(dns)).isEqualTo("round_robin");
    assertThat(ConnectionOptions.defaults().loadBalancingPolicyFor(target)).isEqualTo("pick_first");
    try (ServingModel m = ServingModel.grpc(dns, "affine")) {
      assertThat(m.run(Map.of("x", 1f)).output("y").floatValue()).isEqualTo(3f);
    }
  }

  @Test
  void mutualTlsOverGrpc() throws IOException {
    ServerCredentials creds = TlsServerCredentials.newBuilder()
        .keyManager(stream("server.pem"), stream("server.key"))
        .trustManager(stream("ca.pem"))
        .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
        .build();
    String target = "localhost:" + start(creds).split(":")[1];
    Tls tls = Tls.trusting(pem("ca.pem")).withClientCertificate(pem("client.pem"), pem("client.key"));
    try (ServingModel m = ServingModel.grpc(target, "affine", ConnectionOptions.defaults().tls(tls))) {
      assertThat(m.run(Map.of("x", 1f)).output("y").floatValue()).isEqualTo(3f);
    }
    // without a client certificate, or trusting only the system's CAs, the handshake fails
    for (Tls bad : new Tls[] {Tls.trusting(pem("ca.pem")), Tls.systemTrust()}) {
      try (ServingModel m = ServingModel.grpc(target, "affine",
          ConnectionOptions.defaults().tls(bad)).retry(RetryPolicy.none())) {
        ServingException e = catchThrowableOfType(ServingException.class,
            () -> m.run(Map.of("x", 1f)));
        assertThat(e.code()).as(bad.toString()).isEqualTo(Status.Code.UNAVAILABLE);
      }
    }
  }

  @Test
  void tlsOverRest() throws Exception {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    ks.setKeyEntry("server",
        CertificateUtils.getPrivateKey(stream("server.key")), new char[0],
        CertificateUtils.getX509Certificates(stream("server.pem")));
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, new char[0]);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), null, null);
    HttpsServer https = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    https.setHttpsConfigurator(new HttpsConfigurator(ctx));
    https.createContext("/", ex -> {
      byte[] out = "{\"outputs\": {\"y\": [3.0]}}".getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(ex.getRequestURI().getPath().endsWith(":predict") ? 200 : 404,
          out.length);
      try (OutputStream os = ex.getResponseBody()) {
        os.write(out);
      }
    });
    https.start();
    try {
      String target = "localhost:" + https.getAddress().getPort();
      try (ServingModel m = ServingModel.rest(target, "half",
          ConnectionOptions.defaults().tls(Tls.trusting(pem("ca.pem"))))) {
        assertThat(m.target()).startsWith("https://localhost:");
        assertThat(m.run(Map.of("x", 1f)).output("y").floats()).containsExactly(3f);
      }
      try (ServingModel m = ServingModel.rest(target, "half",
          ConnectionOptions.defaults().tls(Tls.systemTrust())).retry(RetryPolicy.none())) {
        ServingException e = catchThrowableOfType(ServingException.class,
            () -> m.run(Map.of("x", 1f)));
        assertThat(e.code()).isEqualTo(Status.Code.UNAVAILABLE);
      }
    } finally {
      https.stop(0);
    }
  }

  @Test
  void tlsNeverPrintsKeys() throws IOException {
    Tls tls = Tls.trusting(pem("ca.pem")).withClientCertificate(pem("client.pem"), pem("client.key"));
    assertThat(tls.toString()).doesNotContain("PRIVATE").contains("client certificate");
    assertThatThrownBy(() -> new Tls(null, pem("client.pem"), null, null))
        .hasMessageContaining("both certificate and key");
  }
}
