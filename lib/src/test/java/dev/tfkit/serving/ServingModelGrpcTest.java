package dev.tfkit.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.tfkit.Tfkit;
import dev.tfkit.tensor.TensorValue;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.DataType;
import tensorflow.serving.Inference.MultiInferenceResponse;
import tensorflow.serving.ModelServerConfigOuterClass.ModelConfig;
import tensorflow.serving.ModelServerConfigOuterClass.ModelConfigList;
import tensorflow.serving.ModelServerConfigOuterClass.ModelServerConfig;

class ServingModelGrpcTest {
  private FakeServing fake;
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    fake = new FakeServing();
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name)
        .addService(fake.predictionService())
        .addService(fake.modelService())
        .build()
        .start();
    channel = InProcessChannelBuilder.forName(name).build();
  }

  @AfterEach
  void stop() {
    fake.slowReleased.countDown();
    channel.shutdownNow();
    server.shutdownNow();
  }

  private ServingModel model(String name) {
    return ServingModel.grpc(channel, name);
  }

  @Test
  void everyDtypeComesBackAsSent() {
    Map<String, Object> in = new LinkedHashMap<>();
    in.put("f32", new float[][] {{1.5f, -2f}, {0f, 3.25f}});
    in.put("f64", new double[] {Math.PI, -1e300});
    in.put("i8", TensorValue.of(new int[] {-128, 127}, DataType.DT_INT8));
    in.put("u8", TensorValue.of(new int[] {0, 255}, DataType.DT_UINT8));
    in.put("i16", TensorValue.of(new int[] {-32768, 32767}, DataType.DT_INT16));
    in.put("u16", TensorValue.of(new int[] {0, 65535}, DataType.DT_UINT16));
    in.put("i32", new int[] {Integer.MIN_VALUE, 7});
    in.put("u32", TensorValue.of(new long[] {0, 4294967295L}, DataType.DT_UINT32));
    in.put("i64", new long[] {Long.MIN_VALUE, Long.MAX_VALUE});
    in.put("u64", TensorValue.of(new long[] {0, -1L}, DataType.DT_UINT64));
    in.put("b", new boolean[] {true, false, true});
    in.put("s", new String[] {"héllo", ""});
    in.put("bytes", new byte[][] {{(byte) 0xff, 0, 1}});
    in.put("h", TensorValue.of(new float[] {0.5f, -2f}, DataType.DT_HALF));
    in.put("bf", TensorValue.of(new float[] {1f, -3f}, DataType.DT_BFLOAT16));
    in.put("c64", TensorValue.of(new float[][] {{1f, 2f}}, DataType.DT_COMPLEX64));
    in.put("c128", TensorValue.of(new double[][] {{3, -4}}, DataType.DT_COMPLEX128));
    in.put("scalar", 42L);
    Prediction p = model("echo").run(in);

    assertThat(p.outputNames()).containsExactlyInAnyOrderElementsOf(in.keySet());
    assertThat(Tfkit.parsedPrediction(p, "f32").floats()).containsExactly(1.5f, -2f, 0f, 3.25f);
    assertThat(Tfkit.parsedPrediction(p, "f32").shape()).containsExactly(2, 2);
    assertThat(p.output("f64").doubles()).containsExactly(Math.PI, -1e300);
    assertThat(p.output("i8").dtype()).isEqualTo(DataType.DT_INT8);
    assertThat(p.output("i8").ints()).containsExactly(-128, 127);
    assertThat(p.output("u8").ints()).containsExactly(0, 255);
    assertThat(p.output("i16").ints()).containsExactly(-32768, 32767);
    assertThat(p.output("u16").ints()).containsExactly(0, 65535);
    assertThat(p.output("i32").ints()).containsExactly(Integer.MIN_VALUE, 7);
    assertThat(p.output("u32").longs()).containsExactly(0L, 4294967295L);
    assertThat(p.output("i64").longs()).containsExactly(Long.MIN_VALUE, Long.MAX_VALUE);
    assertThat(p.output("u64").dtype()).isEqualTo(DataType.DT_UINT64);
    assertThat(p.output("b").booleans()).containsExactly(true, false, true);
    assertThat(p.output("s").strings()).containsExactly("héllo", "");
    assertThat(p.output("bytes").bytes()[0]).containsExactly((byte) 0xff, 0, 1);
    assertThat(p.output("h").dtype()).isEqualTo(DataType.DT_HALF);
    assertThat(p.output("h").floats()).containsExactly(0.5f, -2f);
    assertThat(p.output("bf").floats()).containsExactly(1f, -3f);
    assertThat(p.output("c64").dtype()).isEqualTo(DataType.DT_COMPLEX64);
    assertThat(p.output("c64").shape()).containsExactly(1);
    assertThat(p.output("c128").dtype()).isEqualTo(DataType.DT_COMPLEX128);
    assertThat(p.output("scalar").shape()).isEmpty();
    assertThat(p.output("scalar").longValue()).isEqualTo(42L);
    // every output equals the value sent
    for (Map.Entry<String, Object> e : in.entrySet()) {
      assertThat(p.output(e.getKey())).as(e.getKey()).isEqualTo(TensorValue.of(e.getValue()));
    }
  }

  @Test
  void predictionCarriesTheAnsweredSpecAndNamesMissingOutputs() {
    Prediction p = model("affine").run(Map.of("x", new float[][] {{2f}, {4f}}));
    assertThat(p.modelName()).isEqualTo("affine");
    assertThat(p.version()).hasValue(123);
    assertThat(p.signatureName()).isEqualTo("serving_default");
    assertThat(p.output("y").floats()).containsExactly(5f, 9f);
    assertThat(p.output("y").shape()).containsExactly(2, 1);
    assertThatThrownBy(() -> Tfkit.parsedPrediction(p, "boxes"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'affine'")
        .hasMessageContaining("no output 'boxes'")
        .hasMessageContaining("y");
  }

  @Test
  void optionsGoIntoTheRequestAndLeaveTheOriginalUnchanged() {
    ServingModel base = model("echo");
    ServingModel pinned = base.version(7).signature("sig").outputs("a");
    Prediction p = pinned.run(Map.of("a", 1f, "b", 2f));
    assertThat(p.outputNames()).containsExactly("a");
    assertThat(p.version()).hasValue(7);
    assertThat(p.signatureName()).isEqualTo("sig");
    var sent = fake.predictRequests.get(0);
    assertThat(sent.getModelSpec().getVersion().getValue()).isEqualTo(7);
    assertThat(sent.getModelSpec().getSignatureName()).isEqualTo("sig");
    assertThat(sent.getOutputFilterList()).containsExactly("a");
    // the original is untouched
    assertThat(base.version()).isEmpty();
    assertThat(base.signature()).isEqualTo(ServingModel.DEFAULT_SIGNATURE);
    assertThat(base.run(Map.of("a", 1f, "b", 2f)).outputNames()).containsExactlyInAnyOrder("a", "b");
    assertThat(fake.predictRequests.get(1).getModelSpec().hasVersion()).isFalse();
    ServingModel labelled = pinned.versionLabel("canary");
    assertThat(labelled.version()).isEmpty();
    assertThat(labelled.modelSpec().getVersionLabel()).isEqualTo("canary");
  }

  @Test
  void eightThreadsShareOneClientAndEachGetsItsOwnAnswers() throws Exception {
    ServingModel m = model("affine");
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Integer>> done = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int thread = t;
        done.add(pool.submit(() -> {
          int ok = 0;
          for (int i = 0; i < 1000; i++) {
            float a = thread * 10_000 + i;
            String tag = "t" + thread + "-" + i;
            Prediction p = m.run(Map.of("x", new float[] {a, -a}, "tag", tag));
            float[] y = p.output("y").floats();
            if (y.length != 2 || y[0] != 2 * a + 1 || y[1] != -2 * a + 1) {
              throw new AssertionError("thread " + thread + " call " + i + " got " + y[0]);
            }
            if (!p.output("tag").stringValue().equals(tag)) {
              throw new AssertionError("thread " + thread + " call " + i + " got tag "
                  + p.output("tag").stringValue());
            }
            ok++;
          }
          return ok;
        }));
      }
      for (Future<Integer> f : done) assertThat(f.get()).isEqualTo(1000);
    } finally {
      pool.shutdownNow();
    }
    assertThat(fake.calls.get()).isEqualTo(8000);
  }

  @Test
  void deadlineExceededNamesTheDeadline() {
    ServingException e = catchThrowableOfType(ServingException.class,
        () -> model("slow").deadline(Duration.ofMillis(200)).run(Map.of("x", 1f)));
    assertThat(e.code()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(e).hasMessageContaining("model 'slow'").hasMessageContaining("200 ms");
    assertThat(fake.calls.get()).isEqualTo(1); // not retried
  }

  @Test
  void unavailableIsRetriedWithBackoffUntilItSucceeds() {
    fake.failuresLeft.set(2);
    ServingModel m = model("flaky").retry(new RetryPolicy(3, Duration.ofMillis(1),
        Duration.ofMillis(5), 2));
    Prediction p = m.run(Map.of("x", 1f));
    assertThat(p.output("x").floatValue()).isEqualTo(1f);
    assertThat(fake.calls.get()).isEqualTo(3);
  }

  @Test
  void retriesAreBoundedAndNameTheTarget() {
    fake.failuresLeft.set(5);
    ServingException e = catchThrowableOfType(ServingException.class,
        () -> model("flaky").retry(new RetryPolicy(2, Duration.ofMillis(1), Duration.ofMillis(1), 1))
            .run(Map.of("x", 1f)));
    assertThat(e.code()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(e).hasMessageContaining("unavailable").hasMessageContaining("2 attempts")
        .hasMessageContaining(e.target()).hasMessageContaining("fake server restarting");
    assertThat(fake.calls.get()).isEqualTo(2);
    fake.failuresLeft.set(5);
    assertThatThrownBy(() -> model("flaky").retry(RetryPolicy.none()).run(Map.of("x", 1f)))
        .isInstanceOf(ServingException.class);
    assertThat(fake.calls.get()).isEqualTo(3);
  }

  @Test
  void invalidArgumentIsNotRetriedAndCarriesTheServersMessage() {
    ServingException e = catchThrowableOfType(ServingException.class,
        () -> model("picky").retry(RetryPolicy.attempts(5)).run(Map.of("wrong", 1f)));
    assertThat(e.code()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(e).hasMessageContaining("model 'picky'")
        .hasMessageContaining("input tensor alias not found in signature: wrong");
    assertThat(e.serverMessage()).startsWith("input tensor alias");
    assertThat(fake.calls.get()).isEqualTo(1);
  }

  @Test
  void notFoundNamesModelAndVersion() {
    ServingException e = catchThrowableOfType(ServingException.class,
        () -> model("resnet").version(3).run(Map.of("x", 1f)));
    assertThat(e.code()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(e).hasMessageContaining("model 'resnet' version 3 not found");
    assertThat(e.model()).isEqualTo("resnet");
    ServingException latest = catchThrowableOfType(ServingException.class,
        () -> model("resnet").run(Map.of("x", 1f)));
    assertThat(latest).hasMessageContaining("model 'resnet' (latest version) not found");
  }

  @Test
  void badInputValuesAreRefusedBeforeSendingNamingTheInput() {
    assertThatThrownBy(() -> model("echo").run(Map.of("x", new float[][] {{1f}, {2f, 3f}})))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("input 'x'")
        .hasMessageContaining("model 'echo'");
    Map<String, Object> withNull = new LinkedHashMap<>();
    withNull.put("x", null);
    assertThatThrownBy(() -> model("echo").run(withNull)).hasMessageContaining("input 'x'");
    assertThat(fake.calls.get()).isZero();
  }

  @Test
  void runAsyncCompletesAndRetriesWithoutBlocking() throws Exception {
    fake.failuresLeft.set(1);
    var f = model("flaky").retry(new RetryPolicy(2, Duration.ofMillis(1), Duration.ofMillis(1), 1))
        .runAsync(Map.of("x", new int[] {4, 5}));
    assertThat(f.get().output("x").ints()).containsExactly(4, 5);
    assertThat(fake.calls.get()).isEqualTo(2);
    var failed = model("picky").runAsync(Map.of("x", 1f));
    ExecutionException e = catchThrowableOfType(ExecutionException.class, failed::get);
    assertThat(e.getCause()).isInstanceOf(ServingException.class);
    assertThat(((ServingException) e.getCause()).code()).isEqualTo(Status.Code.INVALID_ARGUMENT);
  }

  @Test
  void classifyAndRegressBuildExamplesFromMaps() {
    Classifications c = model("echo").classify(List.of(
        Map.of("word", "cat", "score", 0.9f), Map.of("word", "dog", "score", 0.25)));
    assertThat(c.classes()).hasSize(2);
    assertThat(c.best(0)).isEqualTo(new ClassScore("cat", 0.9f));
    assertThat(c.best(1)).isEqualTo(new ClassScore("dog", 0.25f));
    assertThat(c.modelSpec().getVersion().getValue()).isEqualTo(123);

    Regressions r = model("echo").regress(Map.of("bias", 100L),
        List.of(Map.of("a", 1.5f, "b", new long[] {2, 3}), Map.of("a", new double[] {0.25})));
    assertThat(r.values()).containsExactly(106.5f, 100.25f);

    MultiInferenceResponse mi = model("echo").multiInference(
        List.of(Map.of("a", 2f)), Map.of("regress_x_to_y", ServingModel.REGRESS_METHOD));
    assertThat(mi.getResults(0).getRegressionResult().getRegressions(0).getValue()).isEqualTo(2f);
    assertThat(mi.getResults(0).getModelSpec().getSignatureName()).isEqualTo("regress_x_to_y");
  }

  @Test
  void metadataStatusAndReload() {
    ModelMetadata md = model("affine").metadata();
    assertThat(md.signatures()).containsOnlyKeys("regress_x_to_y", "serving_default");
    assertThat(md.inputTypes("serving_default")).containsExactly(Map.entry("x", DataType.DT_FLOAT));
    var table = md.table();
    assertThat(table.rowCount()).isEqualTo(4);
    assertThat(table.stringColumn("key").asList()).containsExactly("inputs", "outputs", "x", "y");
    assertThat(table.stringColumn("shape").get(2)).isEqualTo("[-1]");
    assertThatThrownBy(() -> md.signature("nope")).hasMessageContaining("serving_default");

    List<VersionStatus> st = model("affine").status();
    assertThat(st).containsExactly(new VersionStatus(123, "AVAILABLE", "OK", ""),
        new VersionStatus(124, "END", "UNKNOWN", "failed to load: bad graph"));

    ModelServerConfig cfg = ModelServerConfig.newBuilder().setModelConfigList(
        ModelConfigList.newBuilder().addConfig(ModelConfig.newBuilder().setName("affine")
            .setBasePath("/models/affine").setModelPlatform("tensorflow"))).build();
    model("affine").reloadConfig(cfg);
    assertThat(fake.configs).containsExactly(cfg);
    ServingException e = catchThrowableOfType(ServingException.class,
        () -> model("affine").reloadConfig(ModelServerConfig.getDefaultInstance()));
    assertThat(e.code()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(e).hasMessageContaining("config has no models");
  }

  @Test
  void closedClientRefusesCalls() {
    ServingModel m = model("echo");
    ServingModel derived = m.version(1);
    m.close();
    m.close(); // idempotent
    assertThatThrownBy(() -> derived.run(Map.of("x", 1f)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("'echo'")
        .hasMessageContaining("closed");
  }

  @Test
  void badTargetsAndNamesAreRefusedUpFront() {
    assertThatThrownBy(() -> ServingModel.grpc("http://localhost:8501", "m"))
        .hasMessageContaining("is a URL").hasMessageContaining("ServingModel.rest");
    assertThatThrownBy(() -> ServingModel.grpc(" ", "m")).hasMessageContaining("target is empty");
    assertThatThrownBy(() -> ServingModel.rest("ftp://host", "m")).hasMessageContaining("http(s)");
    assertThatThrownBy(() -> model(" ")).hasMessageContaining("model name is empty");
    assertThatThrownBy(() -> model("echo").version(-1)).hasMessageContaining(">= 0");
    assertThatThrownBy(() -> model("echo").deadline(Duration.ZERO))
        .hasMessageContaining("positive");
    assertThatThrownBy(() -> RetryPolicy.attempts(11)).hasMessageContaining("1..10");
  }
}
