package dev.tfkit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.tfkit.io.Ports;
import dev.tfkit.io.RawBytesCalls;
import dev.tfkit.serving.Alts;
import dev.tfkit.serving.ConnectionOptions;
import dev.tfkit.serving.RetryPolicy;
import dev.tfkit.serving.ServingException;
import dev.tfkit.serving.ServingModel;
import dev.tfkit.serving.Tls;
import dev.tfkit.zoo.Fixtures;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.alts.AltsChannelCredentials;
import io.grpc.alts.AltsContext;
import io.grpc.alts.AltsContextUtil;
import io.grpc.alts.InternalCheckGcpEnvironment;
import io.grpc.stub.ClientCalls;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tensorflow.serving.GetModelStatus.GetModelStatusRequest;
import tensorflow.serving.GetModelStatus.GetModelStatusResponse;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.ModelServiceGrpc;

/**
 * TF Serving's {@code --use_alts_credentials} on the embedded server and ALTS in tfkit's client,
 * for real on loopback: grpc-java's ALTS framing and encryption on both sides, with {@link
 * FakeAltsHandshaker}s in place of Google Cloud's handshaker service (one per side, as each machine
 * has its own). One server for the class.
 */
class GrpcAltsTest {
  static final String SERVER_ACCOUNT = "tfkit-server@tfkit-test.iam.gserviceaccount.com";
  static final String CLIENT_ACCOUNT = "notebook@tfkit-test.iam.gserviceaccount.com";

  private static FakeAltsHandshaker serverHandshaker;
  private static FakeAltsHandshaker clientHandshaker;
  private static Path dir;
  private static EmbeddedServer server;

  @BeforeAll
  static void start() throws Exception {
    serverHandshaker = FakeAltsHandshaker.start(SERVER_ACCOUNT);
    clientHandshaker = FakeAltsHandshaker.start(CLIENT_ACCOUNT);
    // Under /tmp, not a deep build folder: a socket path has at most 107 bytes.
    dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "tfkit-alts");
    server = EmbeddedServer.builder()
        .model("half_plus_two", Fixtures.tfServing("saved_model_half_plus_two_cpu"))
        .fileSystemPollWait(Duration.ZERO)
        .grpcPort(0)
        .restPort(0)
        .grpcSocketPath(dir.resolve("grpc.sock"))
        .useAltsCredentials(true)
        .altsHandshakerService(serverHandshaker.address())
        .start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) server.close();
    if (serverHandshaker != null) serverHandshaker.close();
    if (clientHandshaker != null) clientHandshaker.close();
    if (dir != null) {
      try (Stream<Path> s = Files.walk(dir)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static Alts alts(String... targets) {
    return new Alts(List.of(targets), clientHandshaker.address());
  }

  private static float[] predict(String target, ConnectionOptions o) {
    try (ServingModel m = ServingModel.grpc(target, "half_plus_two", o).retry(RetryPolicy.none())) {
      return m.run(Map.of("x", new float[] {1f, 2f, 5f})).output("y").floats();
    }
  }

  private static ServingException refused(String target, ConnectionOptions o, Status.Code code) {
    ServingException e = catchThrowableOfType(ServingException.class, () -> predict(target, o));
    assertThat(e).as("a call with " + o + " must be refused").isNotNull();
    assertThat(e.code()).isEqualTo(code);
    return e;
  }

  @Test
  void predictOverAltsOnThePortAndTheSocketRestStaysPlaintext() throws Exception {
    assertThat(server.grpcAlts()).isTrue();
    assertThat(server.grpcTls()).isFalse();
    int before = serverHandshaker.peersAuthenticated().size();
    ConnectionOptions o = ConnectionOptions.defaults().alts(alts(SERVER_ACCOUNT));
    assertThat(predict("localhost:" + server.grpcPort(), o)).containsExactly(2.5f, 3f, 4.5f);
    // TF Serving gives the Unix socket the same credentials as the port
    assertThat(predict(server.grpcSocketTarget(), o)).containsExactly(2.5f, 3f, 4.5f);
    // no target service account: any server the handshaker authenticates
    assertThat(predict("localhost:" + server.grpcPort(), ConnectionOptions.defaults().alts(alts())))
        .containsExactly(2.5f, 3f, 4.5f);
    // the server's handshaker authenticated the client's account on each connection
    assertThat(serverHandshaker.peersAuthenticated().subList(before,
            serverHandshaker.peersAuthenticated().size()))
        .containsOnly(CLIENT_ACCOUNT).hasSizeGreaterThanOrEqualTo(3);

    // TF Serving's REST API is plain HTTP with --use_alts_credentials too
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(server.restUrl() + "/v1/models/half_plus_two")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).contains("AVAILABLE");
    // and tfkit's REST client refuses ALTS rather than silently sending plaintext
    assertThatThrownBy(() -> ServingModel.rest(server.restUrl(), "half_plus_two",
            ConnectionOptions.defaults().alts(alts())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ALTS is gRPC only");
  }

  @Test
  void theCallSeesBothServiceAccountsInItsAltsContext() throws Exception {
    AtomicReference<ClientCall<?, ?>> seen = new AtomicReference<>();
    ClientInterceptor keep = new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(
          MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        ClientCall<Q, R> call = next.newCall(method, options);
        seen.set(call);
        return call;
      }
    };
    ManagedChannel ch = Grpc.newChannelBuilder("localhost:" + server.grpcPort(),
            AltsChannelCredentials.newBuilder()
                .addTargetServiceAccount(SERVER_ACCOUNT)
                .setHandshakerAddressForTesting(clientHandshaker.address())
                .enableUntrustedAltsForTesting()
                .build())
        .build();
    try {
      GetModelStatusResponse status = ModelServiceGrpc.newBlockingStub(ClientInterceptors.intercept(ch, keep))
          .withDeadlineAfter(30, TimeUnit.SECONDS)
          .getModelStatus(GetModelStatusRequest.newBuilder()
              .setModelSpec(ModelSpec.newBuilder().setName("half_plus_two")).build());
      assertThat(status.getModelVersionStatusList()).isNotEmpty();
      AltsContext context = AltsContextUtil.createFrom(seen.get());
      assertThat(context.getPeerServiceAccount()).isEqualTo(SERVER_ACCOUNT);
      assertThat(context.getLocalServiceAccount()).isEqualTo(CLIENT_ACCOUNT);
      assertThat(context.getSecurityLevel()).isEqualTo(AltsContext.SecurityLevel.INTEGRITY_AND_PRIVACY);
    } finally {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void theServerNamesTheClientsServiceAccountWhereItNamesThePeer() throws Exception {
    // the one server log line that names a request's peer: a refused unparseable request
    List<LogRecord> records = new CopyOnWriteArrayList<>();
    Handler capture = new Handler() {
      @Override
      public void publish(LogRecord r) {
        if (r.getMessage() != null && r.getMessage().contains("unparseable")) records.add(r);
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    Logger logger = Logger.getLogger("dev.tfkit.server");
    logger.addHandler(capture);
    ManagedChannel ch = Grpc.newChannelBuilder("localhost:" + server.grpcPort(),
            AltsChannelCredentials.newBuilder()
                .setHandshakerAddressForTesting(clientHandshaker.address())
                .enableUntrustedAltsForTesting()
                .build())
        .build();
    try {
      MethodDescriptor<byte[], byte[]> rawPredict = MethodDescriptor.<byte[], byte[]>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("tensorflow.serving.PredictionService/Predict")
          .setRequestMarshaller(RawBytesCalls.MARSHALLER)
          .setResponseMarshaller(RawBytesCalls.MARSHALLER)
          .build();
      // field 1 announced with 100 bytes but followed by 2
      assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(ch, rawPredict,
              CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), new byte[] {0x0A, 0x64, 0x01, 0x02}))
          .isInstanceOf(StatusRuntimeException.class)
          .hasMessageContaining("INVALID_ARGUMENT");
      assertThat(records).singleElement().satisfies(r -> assertThat(r.getMessage())
          .contains("from /127.0.0.1:")
          .contains("(ALTS service account " + CLIENT_ACCOUNT + ")"));
    } finally {
      logger.removeHandler(capture);
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void plaintextTlsAndAWrongServiceAccountAreRefused() {
    String target = "localhost:" + server.grpcPort();
    refused(target, ConnectionOptions.defaults(), Status.Code.UNAVAILABLE);
    assertThat(serverHandshaker.refusals()).anyMatch(d -> d.contains("not an ALTS handshake frame"));
    refused(target, ConnectionOptions.defaults().tls(Tls.systemTrust()), Status.Code.UNAVAILABLE);
    refused(server.grpcSocketTarget(), ConnectionOptions.defaults(), Status.Code.UNAVAILABLE);

    // grpc-java reports a handshake its handshaker refused as UNKNOWN
    ServingException wrong = refused(target, ConnectionOptions.defaults()
        .alts(alts("someone-else@tfkit-test.iam.gserviceaccount.com")), Status.Code.UNKNOWN);
    assertThat(wrong.getMessage())
        .contains("ALTS handshake with " + target + " failed")
        .contains("not one of the target service accounts");
    // a handshaker nobody listens at: said so, naming the setting
    String nobody = "127.0.0.1:" + Ports.freeLoopbackPort();
    ServingException unreachable = catchThrowableOfType(ServingException.class, () -> predict(target,
        ConnectionOptions.defaults().alts(new Alts(List.of(), nobody))));
    assertThat(unreachable).isNotNull();
    assertThat(unreachable.getMessage())
        .contains("ALTS handshake with " + target + " failed")
        .contains("cannot reach the ALTS handshaker service")
        .contains("Alts.withHandshakerService")
        .contains(nobody);
    // while a server nobody listens at is only that
    ServingException deadServer = catchThrowableOfType(ServingException.class,
        () -> predict(nobody, ConnectionOptions.defaults().alts(alts())));
    assertThat(deadServer.getMessage()).startsWith("server at " + nobody + " is unavailable");
    // a handshake refusal is not retried: it would be refused again
    try (ServingModel m = ServingModel.grpc(target, "half_plus_two",
        ConnectionOptions.defaults().alts(alts("someone-else@tfkit-test.iam.gserviceaccount.com")))) {
      assertThatThrownBy(() -> m.run(Map.of("x", 1f)))
          .hasMessageContaining("ALTS handshake")
          .hasMessageNotContaining("attempts");
    }
  }

  @Test
  void badSettingsFailAtStartNamingTheFlag() {
    assertThatThrownBy(() -> ServerAlts.of(null, () -> false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--use_alts_credentials")
        .hasMessageContaining("not on Google Cloud")
        .hasMessageContaining("--alts_handshaker_service=HOST:PORT");
    assertThat(ServerAlts.of(null, () -> true).handshakerService()).isNull();
    for (String bad : List.of("localhost", "localhost:0", "localhost:99999", ":8080", "::1:8080",
        "dns:///h:1", "host:80x")) {
      assertThatThrownBy(() -> ServerAlts.of(bad, () -> false))
          .as(bad)
          .hasMessageContaining("--alts_handshaker_service must be HOST:PORT")
          .hasMessageContaining("'" + bad + "'");
    }
    assertThat(ServerAlts.of("[::1]:8080", () -> false).handshakerService()).isEqualTo("[::1]:8080");

    EmbeddedServer.Builder b = EmbeddedServer.builder()
        .model("half_plus_two", Fixtures.tfServing("saved_model_half_plus_two_cpu"))
        .grpcPort(0).noRest();
    assertThatThrownBy(() -> b.altsHandshakerService("127.0.0.1:1").start())
        .hasMessageContaining("--alts_handshaker_service is given but --use_alts_credentials is not");
    assertThatThrownBy(() -> b.useAltsCredentials(true).sslConfigFile(Path.of("ssl.config")).start())
        .hasMessageContaining("--use_alts_credentials and --ssl_config_file are exclusive");
    assumeFalse(InternalCheckGcpEnvironment.isOnGcp(), "on Google Cloud the default handshaker exists");
    assertThatThrownBy(() -> b.sslConfigFile(null).altsHandshakerService(null).start())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--alts_handshaker_service");
    // the client says the same, naming its own setting
    assertThatThrownBy(() -> ServingModel.grpc("localhost:" + server.grpcPort(), "half_plus_two",
            ConnectionOptions.defaults().alts(Alts.targeting(SERVER_ACCOUNT))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not on Google Cloud")
        .hasMessageContaining("Alts.withHandshakerService");
  }
}
