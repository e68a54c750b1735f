package dev.tfkit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfkit.server.EmbeddedServer;
import dev.tfkit.zoo.Fixtures;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

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
    java.nio.file.Files.writeString(mon, "prometheus_config { enable: true path: \"/metrics\" }");
    ServeCommand cmd = new ServeCommand();
    new CommandLine(cmd)
        .parseArgs(
            "--port=0",
            "--rest_api_port=0",
            "--model_base_path=" + Fixtures.tfServing("saved_model_half_plus_two_cpu"),
            "--monitoring_config_file=" + mon);
    // --rest_api_port=0 turns REST off in the CLI; the builder is asked for a free port instead.
    try (EmbeddedServer server = cmd.build().restPort(0).start()) {
      var http = java.net.http.HttpClient.newHttpClient();
      var page =
          http.send(
              java.net.http.HttpRequest.newBuilder(java.net.URI.create(server.restUrl() + "/metrics")).build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.body()).contains(":tensorflow:serving:request_count");
      var old =
          http.send(
              java.net.http.HttpRequest.newBuilder(
                      java.net.URI.create(server.restUrl() + "/monitoring/prometheus/metrics"))
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(old.statusCode()).isEqualTo(404);
    }
  }

  @Test
  void sessionThreadFlagsReachTheSessionOptions() {
    var t = new dev.tfkit.server.tensorflow.SessionThreads(0, 3, 0).configProto();
    assertThat(t.getIntraOpParallelismThreads()).isEqualTo(3);
    assertThat(t.getInterOpParallelismThreads()).as("auto: the request's own thread").isEqualTo(-1);
    var both = new dev.tfkit.server.tensorflow.SessionThreads(4, 1, 2).configProto();
    assertThat(both.getIntraOpParallelismThreads()).as("session parallelism wins, as in TF Serving").isEqualTo(4);
    assertThat(both.getInterOpParallelismThreads()).isEqualTo(4);
    assertThat(new dev.tfkit.server.tensorflow.SessionThreads(0, 0, 2).configProto().getInterOpParallelismThreads()).isEqualTo(2);
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
    assertThat(dflt.inlineRunThresholdMicros).isEqualTo(dev.tfkit.server.EmbeddedServer.DEFAULT_INLINE_RUN_THRESHOLD_MICROS);
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
      io.grpc.ManagedChannel ch =
          io.grpc.ManagedChannelBuilder.forTarget(server.grpcTarget()).usePlaintext().build();
      try {
        var stub = tensorflow.serving.PredictionServiceGrpc.newBlockingStub(ch);
        var spec = tensorflow.serving.Model.ModelSpec.newBuilder().setName("hpt");
        var small = org.tensorflow.proto.TensorProto.newBuilder().setDtype(org.tensorflow.proto.DataType.DT_FLOAT)
            .setTensorShape(org.tensorflow.proto.TensorShapeProto.newBuilder()
                .addDim(org.tensorflow.proto.TensorShapeProto.Dim.newBuilder().setSize(1)))
            .addFloatVal(2f);
        var ok = stub.predict(tensorflow.serving.Predict.PredictRequest.newBuilder().setModelSpec(spec)
            .putInputs("x", small.build()).build());
        assertThat(ok.getOutputsOrThrow("y").getFloatVal(0)).isEqualTo(3f);
        var big = small.clone().setTensorContent(com.google.protobuf.ByteString.copyFrom(new byte[8192]));
        var refused = org.assertj.core.api.Assertions.catchThrowableOfType(
            () -> stub.predict(tensorflow.serving.Predict.PredictRequest.newBuilder().setModelSpec(spec)
                .putInputs("x", big.build()).build()),
            io.grpc.StatusRuntimeException.class);
        assertThat(refused.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.RESOURCE_EXHAUSTED);
        assertThat(refused.getStatus().getDescription()).contains("4096");
      } finally {
        ch.shutdownNow();
      }
    }
    Run bad = run("serve", "--model_base_path=x", "--grpc_max_message_bytes=0");
    assertThat(bad.code()).isNotZero();
    assertThat(bad.err()).contains("--grpc_max_message_bytes must be positive, got 0");
  }

  @Test
  void restLimitFlagsReachTheGateway() throws Exception {
    int port;
    try (java.net.ServerSocket probe = new java.net.ServerSocket(0)) {
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
        java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
      s.setSoTimeout(30_000);
      s.getOutputStream()
          .write(
              ("POST /v1/models/hpt:predict HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n{")
                  .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      String answer = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
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
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> bad.build().grpcPort(0).restPort(0).start())
        .hasMessageContaining("rest_max_body_bytes_in_flight (100) must be at least rest_max_body_bytes (1024)");
    ServeCommand zero = new ServeCommand();
    new CommandLine(zero)
        .parseArgs(
            "--model_base_path=" + Fixtures.tfServing("saved_model_half_plus_two_cpu"),
            "--rest_read_timeout_in_ms=0");
    org.assertj.core.api.Assertions.assertThatThrownBy(zero::build)
        .hasMessageContaining("rest_read_timeout_in_ms must be positive");
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
}
