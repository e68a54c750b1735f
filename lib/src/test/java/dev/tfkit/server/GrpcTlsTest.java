package dev.tfkit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.tfkit.serving.ConnectionOptions;
import dev.tfkit.serving.RetryPolicy;
import dev.tfkit.serving.ServingException;
import dev.tfkit.serving.ServingModel;
import dev.tfkit.serving.Tls;
import dev.tfkit.zoo.Fixtures;
import io.grpc.Status;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * gRPC over TLS from TF Serving's {@code --ssl_config_file}, with a CA, server and client
 * certificates made for the run, called through tfkit's client.
 */
class GrpcTlsTest {
  private static TestCertificates.Issued ca;
  private static TestCertificates.Issued otherCa;
  private static TestCertificates.Issued serverCert;
  private static TestCertificates.Issued client;
  private static TestCertificates.Issued strangerClient;

  @TempDir Path tmp;

  @BeforeAll
  static void certificates() throws Exception {
    ca = TestCertificates.ca("tfkit test CA");
    otherCa = TestCertificates.ca("another CA");
    serverCert = TestCertificates.server(ca, TestCertificates.ecKeys());
    client = TestCertificates.client(ca, "client");
    strangerClient = TestCertificates.client(otherCa, "client");
  }

  /** An SSLConfig text proto, PEMs as escaped strings (as one writes them for TF Serving). */
  static String sslConfig(String key, String cert, String customCa, boolean clientVerify) {
    StringBuilder sb = new StringBuilder();
    if (key != null) sb.append("server_key: \"").append(escape(key)).append("\"\n");
    if (cert != null) sb.append("server_cert: \"").append(escape(cert)).append("\"\n");
    if (customCa != null) sb.append("custom_ca: \"").append(escape(customCa)).append("\"\n");
    if (clientVerify) sb.append("client_verify: true\n");
    return sb.toString();
  }

  private static String escape(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  private Path write(String name, String text) throws Exception {
    Path p = tmp.resolve(name);
    Files.writeString(p, text);
    return p;
  }

  private EmbeddedServer start(Path sslConfigFile, boolean rest) throws Exception {
    EmbeddedServer.Builder b =
        EmbeddedServer.builder()
            .model("half_plus_two", Fixtures.tfServing("saved_model_half_plus_two_cpu"))
            .fileSystemPollWait(Duration.ZERO)
            .grpcPort(0)
            .sslConfigFile(sslConfigFile);
    if (rest) b.restPort(0);
    else b.noRest();
    return b.start();
  }

  private static float[] predict(String target, Tls tls) {
    ConnectionOptions o = tls == null ? ConnectionOptions.defaults() : ConnectionOptions.defaults().tls(tls);
    try (ServingModel m = ServingModel.grpc(target, "half_plus_two", o).retry(RetryPolicy.none())) {
      return m.run(Map.of("x", new float[] {1f, 2f, 5f})).output("y").floats();
    }
  }

  private static ServingException refused(String target, Tls tls) {
    ServingException e = catchThrowableOfType(ServingException.class, () -> predict(target, tls));
    assertThat(e).as("call with " + tls + " must be refused").isNotNull();
    assertThat(e.code()).isEqualTo(Status.Code.UNAVAILABLE);
    return e;
  }

  @Test
  void tlsPredictWorksPlaintextAndUntrustedCaAreRefusedRestStaysPlaintext() throws Exception {
    Path cfg = write("ssl.config", sslConfig(serverCert.keyPem(), serverCert.certPem(), null, false));
    try (EmbeddedServer server = start(cfg, true)) {
      assertThat(server.grpcTls()).isTrue();
      String target = "localhost:" + server.grpcPort();
      assertThat(predict(target, Tls.trusting(ca.certPem()))).containsExactly(2.5f, 3f, 4.5f);
      // no client certificate is asked for without client_verify: one given is simply unused
      assertThat(predict(target, Tls.trusting(ca.certPem())
              .withClientCertificate(strangerClient.certPem(), strangerClient.keyPem())))
          .containsExactly(2.5f, 3f, 4.5f);

      refused(target, null); // a plaintext client
      ServingException wrongCa = refused(target, Tls.trusting(otherCa.certPem()));
      assertThat(wrongCa.getMessage())
          .contains("TLS handshake with " + target + " failed")
          .contains("not signed by a CA this client trusts");
      // with the default retry policy too: a handshake failure is not retried, and says the same
      try (ServingModel m = ServingModel.grpc(target, "half_plus_two",
          ConnectionOptions.defaults().tls(Tls.trusting(otherCa.certPem())))) {
        assertThatThrownBy(() -> m.run(Map.of("x", 1f)))
            .hasMessageContaining("not signed by a CA this client trusts")
            .hasMessageNotContaining("attempts");
      }
      // the certificate names localhost and 127.0.0.1, not another host name
      ServingException wrongName = refused(target,
          Tls.trusting(ca.certPem()).withAuthority("models.example"));
      assertThat(wrongName.getMessage()).contains("does not name the host");

      // TF Serving's REST API is plain HTTP whatever ssl_config says; so is tfkit's
      HttpResponse<String> r = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(server.restUrl() + "/v1/models/half_plus_two")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).contains("AVAILABLE");
    }
  }

  @Test
  void clientVerifyRequiresACertificateFromCustomCa() throws Exception {
    Path cfg = write("ssl.config",
        sslConfig(serverCert.keyPem(), serverCert.certPem(), ca.certPem(), true));
    try (EmbeddedServer server = start(cfg, false)) {
      String target = "localhost:" + server.grpcPort();
      Tls trusting = Tls.trusting(ca.certPem());
      assertThat(predict(target, trusting.withClientCertificate(client.certPem(), client.keyPem())))
          .containsExactly(2.5f, 3f, 4.5f);
      // no client certificate; one from another CA (the client's key manager does not even offer
      // it: it is not issued by a CA the server lists)
      assertThat(refused(target, trusting).getMessage())
          .contains("server requires a client certificate");
      assertThat(refused(target,
              trusting.withClientCertificate(strangerClient.certPem(), strangerClient.keyPem()))
          .getMessage())
          .contains("server requires a client certificate");
      refused(target, null);
    }
  }

  @Test
  void rsaKeyInPkcs1FormatServes() throws Exception {
    TestCertificates.Issued rsa = TestCertificates.server(ca, TestCertificates.rsaKeys());
    Path cfg = write("ssl.config", sslConfig(rsa.rsaPkcs1KeyPem(), rsa.certPem(), null, false));
    try (EmbeddedServer server = start(cfg, false)) {
      assertThat(predict("localhost:" + server.grpcPort(), Tls.trusting(ca.certPem())))
          .containsExactly(2.5f, 3f, 4.5f);
    }
  }

  @Test
  void badConfigsFailAtStartNamingFileAndField() throws Exception {
    String key = serverCert.keyPem();
    String cert = serverCert.certPem();
    Path noKey = write("no_key.config", sslConfig(null, cert, null, false));
    assertThatThrownBy(() -> start(noKey, false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(noKey.toString())
        .hasMessageContaining("server_key is empty");

    Path noCert = write("no_cert.config", sslConfig(key, null, null, false));
    assertThatThrownBy(() -> ServerTls.read(noCert))
        .hasMessageContaining(noCert.toString()).hasMessageContaining("server_cert is empty");

    Path garbageCert = write("garbage_cert.config",
        sslConfig(key, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
            null, false));
    assertThatThrownBy(() -> ServerTls.read(garbageCert))
        .hasMessageContaining(garbageCert.toString())
        .hasMessageContaining("server_cert is not a valid PEM certificate");

    Path notPem = write("not_pem.config", sslConfig("just some text", cert, null, false));
    assertThatThrownBy(() -> ServerTls.read(notPem))
        .hasMessageContaining(notPem.toString()).hasMessageContaining("server_key holds no PEM private key");

    Path garbageKey = write("garbage_key.config",
        sslConfig("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n", cert, null, false));
    assertThatThrownBy(() -> ServerTls.read(garbageKey))
        .hasMessageContaining(garbageKey.toString()).hasMessageContaining("server_key is not a valid");

    Path encrypted = write("encrypted.config",
        sslConfig("-----BEGIN ENCRYPTED PRIVATE KEY-----\nbm90IGEga2V5\n-----END ENCRYPTED PRIVATE KEY-----\n",
            cert, null, false));
    assertThatThrownBy(() -> ServerTls.read(encrypted))
        .hasMessageContaining("'ENCRYPTED PRIVATE KEY'").hasMessageContaining("openssl pkcs8");

    Path mismatch = write("mismatch.config", sslConfig(client.keyPem(), cert, null, false));
    assertThatThrownBy(() -> ServerTls.read(mismatch))
        .hasMessageContaining(mismatch.toString())
        .hasMessageContaining("server_key does not belong to server_cert");

    Path garbageCa = write("garbage_ca.config", sslConfig(key, cert, "not a CA", true));
    assertThatThrownBy(() -> ServerTls.read(garbageCa))
        .hasMessageContaining(garbageCa.toString()).hasMessageContaining("custom_ca holds no PEM certificate");

    Path typo = write("typo.config", "server_keys: \"x\"\n");
    assertThatThrownBy(() -> ServerTls.read(typo))
        .hasMessageContaining(typo.toString())
        .hasMessageContaining("tensorflow.serving.SSLConfig")
        .hasMessageContaining("server_keys");
  }
}
