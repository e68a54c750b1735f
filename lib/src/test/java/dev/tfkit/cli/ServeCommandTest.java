package dev.tfkit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.tfkit.io.TfRecords;
import dev.tfkit.server.EmbeddedServer;
import dev.tfkit.server.api.ServerConfigs;
import dev.tfkit.server.tensorflow.SessionThreads;
import dev.tfkit.server.tensorflow.WarmupReplay;
import dev.tfkit.serving.ServingModel;
import dev.tfkit.testing.ServedChannel;
import dev.tfkit.zoo.Fixtures;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.alts.InternalCheckGcpEnvironment;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;
import picocli.CommandLine;
import tensorflow.serving.Model;
import tensorflow.serving.Predict;
import tensorflow.serving.PredictionLogOuterClass;

class ServeCommandTest {
  private record Run(int code, String err) {}

  private static Run run(String... args) {
    CommandLine cl = TfkitCli.commandLine();
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err));
    cl.setOut(new PrintWriter(new StringWriter()));
    int code = cl.execute(args);
    return new Run(code, err.toString());
  }

  @Test
  void invalidModelConfigFileExitsNonZeroNamingFileAndPosition() {
    Path bad = Fixtures.tfServing("bad_model_config.txt");
    Run r = run("serve", "--port=0", "--rest_api_port=0", "--model_config_file=" + bad);
    assertThat(r.code()).isNotZero();
    assertThat(r.err())
        .startsWith("tfkit serve: ")
        .contains(bad.toString())
        .contains("failed to parse")
        .contains("text-format tensorflow.serving.ModelServerConfig")
        .contains("line 1, column");
  }

  @Test
  void unknownFlagsAreRefusedWithTheKnownOnesListed() {
    Run r = run("serve", "--model_base_path=/tmp", "--enable_gpu_memory_growth=1");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err())
        .contains("--enable_gpu_memory_growth")
        .contains("--tensorflow_inter_op_parallelism")
        .contains("known flags")
        .contains("--port")
        .contains("--rest_api_port")
        .contains("--model_config_file_poll_wait_seconds")
        .contains("--grpc_channel_arguments");
    assertThat(run("serve").err()).contains("--model_base_path").contains("--model_config_file");
  }

  @Test
  void tensorflowModelServerFlagsInBothFormsStartAServer() throws Exception {
    ServeCommand cmd = new ServeCommand();
    CommandLine cl = new CommandLine(cmd);
    cl.parseArgs(
        "--port=0",
        "--rest_api_port", "0",
        "--model_name=hpt",
        "--model_base_path=" + Fixtures.tfServing("saved_model_half_plus_two_cpu"),
        "--enable_batching",
        "--batching_parameters_file=" + Fixtures.tfServing("batching_config.txt"),
        "--enable_model_warmup=false",
        "--file_system_poll_wait_seconds=0",
        "--grpc_channel_arguments=grpc.max_receive_message_length=1048576,grpc.some_c_core_only=1");
    assertThat(cmd.enableBatching).isTrue();
    assertThat(cmd.enableModelWarmup).isFalse();
    try (EmbeddedServer server = cmd.build().start()) {
      assertThat(server.restUrl()).as("--rest_api_port 0 turns REST off").isNull();
      assertThat(server.grpcPort()).isPositive();
      assertThat(server.grpcTarget()).startsWith("127.0.0.1:");
      assertThat(server.models().availableVersions("hpt")).containsExactly(123L);
    }
  }

  @Test
  void monitoringConfigFileMovesThePrometheusPage(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
    Path mon = tmp.resolve("monitoring.config");
    Files.writeString(mon, "prometheus_config { enable: true path: \"/metrics\" }");
    ServeCommand cmd = new ServeCommand();
    new CommandLine(cmd)
        .parseArgs(
            "--port=0",
            "--rest_api_port=0",
            "--model_base_path=" + Fixtures.tfServing("saved_model_half_plus_two_cpu"),
            "--monitoring_config_file=" + mon);
    // --rest_api_port=0 turns REST off in the CLI; the builder is asked for a free port instead.
    try (EmbeddedServer server = cmd.build().restPort(0).start()) {
      var http = HttpClient.newHttpClient();
      var page =
          http.send(
              HttpRequest.newBuilder(URI.create(server.restUrl() + "/metrics")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.body()).contains(":tensorflow:serving:request_count");
      var old =
          http.send(
              HttpRequest.newBuilder(
                      URI.create(server.restUrl() + "/monitoring/prometheus/metrics"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(old.statusCode()).isEqualTo(404);
    }
  }

  @Test
  void sessionThreadFlagsReachTheSessionOptions() {
    var t = new SessionThreads(0, 3, 0).configProto();
    assertThat(t.getIntraOpParallelismThreads()).isEqualTo(3);
    assertThat(t.getInterOpParallelismThreads()).as("auto: the request's own thread").isEqualTo(-1);
    var both = new SessionThreads(4, 1, 2).configProto();
    assertThat(both.getIntraOpParallelismThreads()).as("session parallelism wins, as in TF Serving").isEqualTo(4);
    assertThat(both.getInterOpParallelismThreads()).isEqualTo(4);
    assertThat(new SessionThreads(0, 0, 2).configProto().getInterOpParallelismThreads()).isEqualTo(2);
    Run bad = run("serve", "--model_base_path=" + Fixtures.tfServing("saved_model_half_plus_two_cpu"),
        "--port=0", "--rest_api_port=0", "--tensorflow_intra_op_parallelism=-2");
    assertThat(bad.code()).isNotZero();
    assertThat(bad.err()).contains("--tensorflow_intra_op_parallelism").contains("-2");
  }

  @Test
  void inlineRunThresholdFlagIsTfkitsAndRefusesNegatives() {
    ServeCommand cmd = new ServeCommand();
    new CommandLine(cmd).parseArgs("--model_base_path=x", "--inline_run_threshold_micros=0");
    assertThat(cmd.inlineRunThresholdMicros).isZero();
    ServeCommand dflt = new ServeCommand();
    new CommandLine(dflt).parseArgs("--model_base_path=x");
    assertThat(dflt.inlineRunThresholdMicros).isEqualTo(EmbeddedServer.DEFAULT_INLINE_RUN_THRESHOLD_MICROS);
    Run bad = run("serve", "--model_base_path=" + Fixtures.tfServing("saved_model_half_plus_two_cpu"),
        "--port=0", "--rest_api_port=0", "--inline_run_threshold_micros=-5");
    assertThat(bad.code()).isNotZero();
    assertThat(bad.err()).contains("inline_run_threshold_micros").contains("-5");
  }

  @Test
  void grpcMaxMessageBytesRefusesLargerRequestsBeforeServingThem() throws Exception {
    ServeCommand dflt = new ServeCommand();
    new CommandLine(dflt).parseArgs("--model_base_path=x");
    assertThat(dflt.grpcMaxMessageBytes).isEqualTo(Integer.MAX_VALUE);
    ServeCommand cmd = new ServeCommand();
    new CommandLine(cmd).parseArgs("--port=0", "--rest_api_port=0", "--grpc_max_message_bytes=4096",
        "--model_name=hpt", "--model_base_path=" + Fixtures.tfServing("saved_model_half_plus_two_cpu"));
    try (EmbeddedServer server = cmd.build().start()) {
      try (ServedChannel grpc = ServedChannel.to(server)) {
        var stub = grpc.predict();
        var spec = Model.ModelSpec.newBuilder().setName("hpt");
        var small = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
            .setTensorShape(TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dim.newBuilder().setSize(1)))
            .addFloatVal(2f);
        var ok = stub.predict(Predict.PredictRequest.newBuilder().setModelSpec(spec)
            .putInputs("x", small.build()).build());
        assertThat(ok.getOutputsOrThrow("y").getFloatVal(0)).isEqualTo(3f);
        var big = small.clone().setTensorContent(ByteString.copyFrom(new byte[8192]));
        var refused = Assertions.catchThrowableOfType(
            () -> stub.predict(Predict.PredictRequest.newBuilder().setModelSpec(spec)
                .putInputs("x", big.build()).build()),
            StatusRuntimeException.class);
        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(refused.getStatus().getDescription()).contains("4096");
      }
    }
    Run bad = run("serve", "--model_base_path=x", "--grpc_max_message_bytes=0");
    assertThat(bad.code()).isNotZero();
    assertThat(bad.err()).contains("--grpc_max_message_bytes must be positive, got 0");
  }

  @Test
  void restLimitFlagsReachTheGateway() throws Exception {
    int port;
    try (ServerSocket probe = new ServerSocket(0)) {
      port = probe.getLocalPort();
    }
    ServeCommand cmd = new ServeCommand();
    new CommandLine(cmd)
        .parseArgs(
            "--port=0",
            "--rest_api_port=" + port,
            "--model_name=hpt",
            "--model_base_path=" + Fixtures.tfServing("saved_model_half_plus_two_cpu"),
            "--file_system_poll_wait_seconds=0",
            "--rest_max_body_bytes=1024",
            "--rest_read_timeout_in_ms=5000");
    try (EmbeddedServer server = cmd.build().start();
        Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(30_000);
      s.getOutputStream()
          .write(
              ("POST /v1/models/hpt:predict HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n{")
                  .getBytes(StandardCharsets.US_ASCII));
      String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(answer)
          .startsWith("HTTP/1.1 413 ")
          .contains("{\"error\":")
          .contains("limit of 1024 bytes (rest_max_body_bytes)");
    }
    ServeCommand bad = new ServeCommand();
    new CommandLine(bad)
        .parseArgs(
            "--model_base_path=" + Fixtures.tfServing("saved_model_half_plus_two_cpu"),
            "--rest_max_body_bytes=1024",
            "--rest_max_body_bytes_in_flight=100");
    Assertions.assertThatThrownBy(() -> bad.build().grpcPort(0).restPort(0).start())
        .hasMessageContaining("rest_max_body_bytes_in_flight (100) must be at least rest_max_body_bytes (1024)");
    ServeCommand zero = new ServeCommand();
    new CommandLine(zero)
        .parseArgs(
            "--model_base_path=" + Fixtures.tfServing("saved_model_half_plus_two_cpu"),
            "--rest_read_timeout_in_ms=0");
    Assertions.assertThatThrownBy(zero::build)
        .hasMessageContaining("rest_read_timeout_in_ms must be positive");
  }

  private static int httpStatus(EmbeddedServer server, String path) throws Exception {
    var http = HttpClient.newHttpClient();
    return http.send(
            HttpRequest.newBuilder(URI.create(server.restUrl() + path)).build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  private static EmbeddedServer serveWith(String... extra) throws Exception {
    ServeCommand cmd = new ServeCommand();
    List<String> args = new ArrayList<>(List.of(
        "--port=0", "--rest_api_port=0", "--file_system_poll_wait_seconds=0",
        "--model_base_path=" + Fixtures.tfServing("saved_model_half_plus_two_cpu")));
    args.addAll(List.of(extra));
    new CommandLine(cmd).parseArgs(args.toArray(String[]::new));
    return cmd.build().restPort(0).start();
  }

  @Test
  void thePrometheusPageIsOffWithoutAMonitoringConfigAsInTfServing(@org.junit.jupiter.api.io.TempDir Path tmp)
      throws Exception {
    try (EmbeddedServer server = serveWith()) {
      assertThat(httpStatus(server, "/monitoring/prometheus/metrics")).isEqualTo(404);
      assertThat(httpStatus(server, "/v1/models/default")).isEqualTo(200);
    }
    Path off = tmp.resolve("off.config");
    Files.writeString(off, "prometheus_config { enable: false path: \"/metrics\" }");
    try (EmbeddedServer server = serveWith("--monitoring_config_file=" + off)) {
      assertThat(httpStatus(server, "/metrics")).isEqualTo(404);
      assertThat(httpStatus(server, "/monitoring/prometheus/metrics")).isEqualTo(404);
    }
    Path onDefaultPath = tmp.resolve("on.config");
    Files.writeString(onDefaultPath, "prometheus_config { enable: true }");
    try (EmbeddedServer server = serveWith("--monitoring_config_file=" + onDefaultPath)) {
      assertThat(httpStatus(server, "/monitoring/prometheus/metrics")).isEqualTo(200);
    }
  }

  /** A copy of the counter fixture whose warmup file holds {@code records} incr_counter requests. */
  private static Path counterWithWarmup(Path tmp, int records) throws Exception {
    Path src = Fixtures.tfServing("saved_model_counter/00000123");
    Path base = tmp.resolve("counter");
    Path dir = base.resolve("1");
    try (var w = Files.walk(src)) {
      for (Path p : (Iterable<Path>) w::iterator) {
        Path t = dir.resolve(src.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t);
        }
      }
    }
    byte[] incr =
        PredictionLogOuterClass.PredictionLog.newBuilder()
            .setPredictLog(
                PredictionLogOuterClass.PredictLog.newBuilder()
                    .setRequest(
                        Predict.PredictRequest.newBuilder()
                            .setModelSpec(Model.ModelSpec.newBuilder().setSignatureName("incr_counter"))))
            .build()
            .toByteArray();
    List<byte[]> all = new ArrayList<>();
    for (int i = 0; i < records; i++) {
      all.add(incr);
    }
    Path warmup = WarmupReplay.file(dir);
    Files.createDirectories(warmup.getParent());
    Files.write(warmup, TfRecords.toBytes(all));
    return base;
  }

  private static float counter(EmbeddedServer server) {
    return server.api()
        .predict(
            Predict.PredictRequest.newBuilder()
                .setModelSpec(Model.ModelSpec.newBuilder().setName("counter").setSignatureName("get_counter"))
                .build())
        .getOutputsOrThrow("output")
        .getFloatVal(0);
  }

  private static EmbeddedServer serveCounter(Path base, String... extra) throws Exception {
    ServeCommand cmd = new ServeCommand();
    List<String> args = new ArrayList<>(List.of(
        "--port=0", "--rest_api_port=0", "--file_system_poll_wait_seconds=0",
        "--model_name=counter", "--model_base_path=" + base));
    args.addAll(List.of(extra));
    CommandLine cl = new CommandLine(cmd);
    cl.setErr(new PrintWriter(new StringWriter()));
    cl.parseArgs(args.toArray(String[]::new));
    return cmd.build().start();
  }

  @Test
  void numRequestIterationsForWarmupReplaysEachRecordThatOften(@org.junit.jupiter.api.io.TempDir Path tmp)
      throws Exception {
    Path base = counterWithWarmup(tmp, 2);
    try (EmbeddedServer server = serveCounter(base)) {
      assertThat(counter(server)).as("default: each record once").isEqualTo(2f);
    }
    try (EmbeddedServer server = serveCounter(base, "--num_request_iterations_for_warmup=3")) {
      assertThat(counter(server)).isEqualTo(6f);
    }
    try (EmbeddedServer server = serveCounter(base, "--num_request_iterations_for_warmup=0")) {
      assertThat(counter(server)).as("TF Serving uses the flag only when > 0").isEqualTo(2f);
    }
  }

  @Test
  void platformConfigFileSetsWarmupAndSessionAndReplacesTheirFlags(@org.junit.jupiter.api.io.TempDir Path tmp)
      throws Exception {
    Path base = counterWithWarmup(tmp, 2);
    Path platform = tmp.resolve("platform.config");
    Files.writeString(
        platform,
        String.join(
            "\n",
            "platform_configs {",
            "  key: 'tensorflow'",
            "  value {",
            "    source_adapter_config {",
            "      [type.googleapis.com/tensorflow.serving.SavedModelBundleSourceAdapterConfig] {",
            "        legacy_config {",
            "          session_config { intra_op_parallelism_threads: 2 inter_op_parallelism_threads: 1 }",
            "          batching_parameters { max_batch_size { value: 8 } batch_timeout_micros { value: 1000 } }",
            "          enable_model_warmup: true",
            "          model_warmup_options { num_request_iterations { value: 5 } }",
            "        }",
            "      }",
            "    }",
            "  }",
            "}"));
    var settings = ServerConfigs.readPlatformConfig(platform);
    assertThat(settings.batching()).get().extracting(b -> b.maxBatchSize()).isEqualTo(8);
    assertThat(settings.threads().configProto().getIntraOpParallelismThreads()).isEqualTo(2);
    assertThat(settings.threads().configProto().getInterOpParallelismThreads()).isEqualTo(1);
    // As in TF Serving, the platform config wins over the warmup flags, which are ignored.
    try (EmbeddedServer server =
        serveCounter(
            base,
            "--platform_config_file=" + platform,
            "--enable_model_warmup=false",
            "--num_request_iterations_for_warmup=2")) {
      assertThat(counter(server)).isEqualTo(10f);
    }
  }

  @Test
  void platformConfigFieldsTfkitDoesNotApplyAreRefusedByName(@org.junit.jupiter.api.io.TempDir Path tmp)
      throws Exception {
    String wrap =
        "platform_configs { key: 'tensorflow' value { source_adapter_config {"
            + " [type.googleapis.com/tensorflow.serving.SavedModelBundleSourceAdapterConfig] { legacy_config { %s } } } } }";
    Path gpu = tmp.resolve("gpu.config");
    Files.writeString(
        gpu, String.format(wrap, "session_config { gpu_options { per_process_gpu_memory_fraction: 0.5 } }"));
    Run r = run("serve", "--port=0", "--rest_api_port=0", "--model_base_path=/tmp", "--platform_config_file=" + gpu);
    assertThat(r.code()).isNotZero();
    assertThat(r.err()).contains(gpu.toString()).contains("legacy_config.session_config.gpu_options is not supported");

    Path tflite = tmp.resolve("tflite.config");
    Files.writeString(tflite, String.format(wrap, "prefer_tflite_model: true"));
    Assertions.assertThatThrownBy(() -> ServerConfigs.readPlatformConfig(tflite))
        .hasMessageContaining("legacy_config.prefer_tflite_model is not supported");

    Path other = tmp.resolve("other.config");
    Files.writeString(other, "platform_configs { key: 'tflite' value { } }");
    Assertions.assertThatThrownBy(() -> ServerConfigs.readPlatformConfig(other))
        .hasMessageContaining("platform 'tflite' is not supported");
  }

  @Test
  void badSslConfigFileExitsBeforeLoadingNamingFileAndField(@org.junit.jupiter.api.io.TempDir Path tmp)
      throws Exception {
    Path ssl = tmp.resolve("ssl.config");
    Files.writeString(ssl, "server_cert: \"-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----\"\n");
    Run r = run("serve", "--port=0", "--rest_api_port=0",
        "--model_base_path=" + Fixtures.tfServing("saved_model_half_plus_two_cpu"),
        "--ssl_config_file=" + ssl);
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--ssl_config_file " + ssl).contains("server_key is empty");
    Run missing = run("serve", "--port=0", "--rest_api_port=0",
        "--model_base_path=" + Fixtures.tfServing("saved_model_half_plus_two_cpu"),
        "--ssl_config_file=" + tmp.resolve("nope.config"));
    assertThat(missing.code()).isEqualTo(2);
    assertThat(missing.err()).contains("nope.config").contains("does not exist");
  }

  @Test
  void grpcSocketPathServesOnAUnixSocket() throws Exception {
    Path dir = Files.createTempDirectory("tfkit-cli-uds");
    Path sock = dir.resolve("s.sock");
    ServeCommand cmd = new ServeCommand();
    new CommandLine(cmd).parseArgs(
        "--port=0", "--rest_api_port=0", "--file_system_poll_wait_seconds=0",
        "--model_base_path=" + Fixtures.tfServing("saved_model_half_plus_two_cpu"),
        "--grpc_socket_path=" + sock);
    try (EmbeddedServer server = cmd.build().start()) {
      assertThat(server.grpcSocketTarget()).isEqualTo("unix:" + sock.toAbsolutePath());
      try (var m = ServingModel.grpc(server.grpcSocketTarget(), "default")) {
        assertThat(m.run(Map.of("x", new float[] {4f})).output("y").floats())
            .containsExactly(4f);
      }
    } finally {
      Files.deleteIfExists(sock);
      Files.delete(dir);
    }
  }

  @Test
  void loadRetryAndMethodNameCheckFlagsHaveTfServingsDefaults() {
    ServeCommand dflt = new ServeCommand();
    new CommandLine(dflt).parseArgs("--model_base_path=x");
    assertThat(dflt.maxNumLoadRetries).isEqualTo(5);
    assertThat(dflt.loadRetryIntervalMicros).isEqualTo(60_000_000L);
    assertThat(dflt.enableSignatureMethodNameCheck).isFalse();
    ServeCommand cmd = new ServeCommand();
    new CommandLine(cmd)
        .parseArgs("--model_base_path=x", "--max_num_load_retries=0", "--load_retry_interval_micros", "250",
            "--enable_signature_method_name_check");
    assertThat(cmd.maxNumLoadRetries).isZero();
    assertThat(cmd.loadRetryIntervalMicros).isEqualTo(250L);
    assertThat(cmd.enableSignatureMethodNameCheck).isTrue();
    Run bad = run("serve", "--model_base_path=" + Fixtures.tfServing("saved_model_half_plus_two_cpu"),
        "--port=0", "--rest_api_port=0", "--max_num_load_retries=-1");
    assertThat(bad.code()).isNotZero();
    assertThat(bad.err()).contains("max_num_load_retries").contains("-1");
  }

  @Test
  void altsFlagsHaveTfServingsNameAndRefuseWhatCannotWork() {
    ServeCommand dflt = new ServeCommand();
    new CommandLine(dflt).parseArgs("--model_base_path=x");
    assertThat(dflt.useAltsCredentials).isFalse();
    assertThat(dflt.altsHandshakerService).isNull();
    ServeCommand on = new ServeCommand();
    new CommandLine(on).parseArgs("--model_base_path=x", "--use_alts_credentials",
        "--alts_handshaker_service", "127.0.0.1:9999");
    assertThat(on.useAltsCredentials).isTrue();
    assertThat(on.altsHandshakerService).isEqualTo("127.0.0.1:9999");
    ServeCommand off = new ServeCommand();
    new CommandLine(off).parseArgs("--model_base_path=x", "--use_alts_credentials=false");
    assertThat(off.useAltsCredentials).isFalse();

    String model = "--model_base_path=" + Fixtures.tfServing("saved_model_half_plus_two_cpu");
    Run both = run("serve", "--port=0", "--rest_api_port=0", model, "--use_alts_credentials",
        "--alts_handshaker_service=127.0.0.1:9999", "--ssl_config_file=ssl.config");
    assertThat(both.code()).isEqualTo(2);
    assertThat(both.err()).contains("--use_alts_credentials and --ssl_config_file are exclusive");
    Run alone = run("serve", "--port=0", "--rest_api_port=0", model,
        "--alts_handshaker_service=127.0.0.1:9999");
    assertThat(alone.code()).isEqualTo(2);
    assertThat(alone.err()).contains("--alts_handshaker_service=127.0.0.1:9999 needs --use_alts_credentials");
    Run bad = run("serve", "--port=0", "--rest_api_port=0", model, "--use_alts_credentials",
        "--alts_handshaker_service=metadata");
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err()).contains("--alts_handshaker_service must be HOST:PORT").contains("'metadata'");

    StringWriter help = new StringWriter();
    CommandLine cl = TfkitCli.commandLine();
    cl.setOut(new PrintWriter(help));
    assertThat(cl.execute("serve", "--help")).isZero();
    assertThat(help.toString()).contains("--use_alts_credentials").contains("--alts_handshaker_service");

    Assumptions.assumeFalse(InternalCheckGcpEnvironment.isOnGcp(),
        "on Google Cloud the metadata server's handshaker is the default");
    Run offCloud = run("serve", "--port=0", "--rest_api_port=0", model, "--use_alts_credentials");
    assertThat(offCloud.code()).isEqualTo(2);
    assertThat(offCloud.err())
        .contains("--use_alts_credentials")
        .contains("not on Google Cloud")
        .contains("--alts_handshaker_service=HOST:PORT");
  }
}
