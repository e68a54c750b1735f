package dev.tfkit.server;

import static dev.tfkit.server.Protos.example;
import static dev.tfkit.server.Protos.examples;
import static dev.tfkit.testing.TestTensors.floatVector;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfkit.server.logging.RequestLogs;
import dev.tfkit.testing.ServedChannel;
import dev.tfkit.zoo.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.EagerSession;
import org.tensorflow.Operand;
import org.tensorflow.exceptions.TFOutOfRangeException;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TType;
import tensorflow.serving.Classification.ClassificationRequest;
import tensorflow.serving.Inference.InferenceTask;
import tensorflow.serving.Inference.MultiInferenceRequest;
import tensorflow.serving.LogCollectorConfigOuterClass;
import tensorflow.serving.LoggingConfigOuterClass;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.ModelServerConfigOuterClass;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.PredictionLogOuterClass.PredictionLog;
import tensorflow.serving.PredictionLogOuterClass;
import tensorflow.serving.RegressionOuterClass.RegressionRequest;

/** Request logging (a model's logging_config): sampling, content, files, and reading them back with TensorFlow. */
class RequestLoggingTest {
  @TempDir Path tmp;

  private static final Path HPT = Fixtures.tfServing("saved_model_half_plus_two_cpu");

  private String config(String name, double rate, String type, Path prefix) {
    return "model_config_list { config { name: '" + name + "' base_path: '" + HPT + "' model_platform: 'tensorflow'"
        + " logging_config { sampling_config { sampling_rate: " + rate + " }"
        + " log_collector_config { type: '" + type + "' filename_prefix: '" + prefix + "' } } } }";
  }

  private EmbeddedServer serve(String configText) throws Exception {
    Path file = tmp.resolve("models-" + System.nanoTime() + ".config");
    Files.writeString(file, configText);
    return EmbeddedServer.builder().modelConfigFile(file).grpcPort(0).restPort(0).fileSystemPollWait(Duration.ZERO).start();
  }

  private static ModelSpec spec(String model, String signature) {
    return ModelSpec.newBuilder().setName(model).setSignatureName(signature).build();
  }

  private List<Path> finishedFiles(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".tfrecord")).sorted().toList();
    }
  }

  /** Reads a TFRecord file with TensorFlow's own reader (the TFRecordDataset op), record by record. */
  static List<byte[]> readWithTensorFlow(Path file) {
    List<byte[]> out = new ArrayList<>();
    try (EagerSession s = EagerSession.create()) {
      Ops tf = Ops.create(s);
      // TF Java 1.1.0's tf.data.tfRecordDataset (the V2 op) fails to build here with "3 inputs
      // specified of 4"; the V1 op, built by name, runs the same TFRecord reader.
      @SuppressWarnings("unchecked")
      Operand<TType> ds =
          (Operand<TType>)
              tf.scope().opBuilder("TFRecordDataset", "records")
                  .addInput(tf.constant(NdArrays.vectorOfObjects(file.toString())).asOutput())
                  .addInput(tf.constant("").asOutput())
                  .addInput(tf.constant(0L).asOutput())
                  .build()
                  .output(0);
      List<Class<? extends TType>> types = List.of(TString.class);
      List<Shape> shapes = List.of(Shape.scalar());
      var it = tf.data.anonymousIterator(types, shapes);
      tf.data.makeIterator(ds, it.handle());
      while (true) {
        try {
          var next = tf.data.iteratorGetNext(it.handle(), types, shapes);
          @SuppressWarnings("unchecked")
          Operand<TString> record = (Operand<TString>) (Operand<?>) next.components().get(0);
          out.add(record.asTensor().asBytes().getObject());
        } catch (TFOutOfRangeException end) {
          return out;
        }
      }
    }
  }

  @Test
  void everyRequestIsLoggedAtRateOneAndTensorFlowReadsTheFile() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("logs"));
    try (EmbeddedServer server = serve(config("hpt", 1.0, "tfrecord_file", dir.resolve("hpt")))) {
      try (ServedChannel grpc = ServedChannel.to(server)) {
        var stub = grpc.predict();
        stub.predict(
            PredictRequest.newBuilder().setModelSpec(spec("hpt", "")).putInputs("x", floatVector(1f, 2f)).build());
        stub.classify(
            ClassificationRequest.newBuilder()
                .setModelSpec(spec("hpt", "classify_x_to_y"))
                .setInput(examples(example("x", 4f)))
                .build());
        stub.regress(
            RegressionRequest.newBuilder()
                .setModelSpec(spec("hpt", "regress_x_to_y"))
                .setInput(examples(example("x", 6f)))
                .build());
        stub.multiInference(
            MultiInferenceRequest.newBuilder()
                .addTasks(InferenceTask.newBuilder().setModelSpec(spec("hpt", "classify_x_to_y")).setMethodName("tensorflow/serving/classify"))
                .addTasks(InferenceTask.newBuilder().setModelSpec(spec("hpt", "regress_x_to_y")).setMethodName("tensorflow/serving/regress"))
                .setInput(examples(example("x", 2f)))
                .build());
      }
      // REST requests are logged as the Predict they become.
      assertThat(Protos.post(server.restUrl() + "/v1/models/hpt:predict", "{\"instances\": [3.0]}").code()).isEqualTo(200);
      assertThat(finishedFiles(dir)).as("the file is finished (renamed) only when the writer closes").isEmpty();
    }
    List<Path> files = finishedFiles(dir);
    assertThat(files).hasSize(1);
    assertThat(files.get(0).getFileName().toString()).startsWith("hpt.").endsWith(".tfrecord");
    try (Stream<Path> s = Files.list(dir)) {
      assertThat(s.filter(p -> p.toString().endsWith(".tmp"))).as("no in-progress file is left").isEmpty();
    }
    List<PredictionLog> logs = new ArrayList<>();
    for (byte[] r : readWithTensorFlow(files.get(0))) {
      logs.add(PredictionLog.parseFrom(r));
    }
    assertThat(logs).hasSize(5);
    assertThat(logs).allSatisfy(l -> {
      assertThat(l.getLogMetadata().getModelSpec().getName()).isEqualTo("hpt");
      assertThat(l.getLogMetadata().getModelSpec().getVersion().getValue()).isEqualTo(123);
      assertThat(l.getLogMetadata().getSamplingConfig().getSamplingRate()).isEqualTo(1.0);
      assertThat(l.getLogMetadata().getSavedModelTagsList()).containsExactly("serve");
      assertThat(l.getLogMetadata().getTimestampSecs()).isPositive();
    });
    // The order is the order of the (sequential) requests.
    var predict = logs.get(0);
    assertThat(predict.getLogTypeCase()).isEqualTo(PredictionLog.LogTypeCase.PREDICT_LOG);
    assertThat(predict.getLogMetadata().getModelSpec().getSignatureName()).isEqualTo("serving_default");
    assertThat(predict.getPredictLog().getRequest().getInputsOrThrow("x").getFloatValList()).containsExactly(1f, 2f);
    assertThat(predict.getPredictLog().getResponse().getOutputsOrThrow("y").getFloatValList()).containsExactly(2.5f, 3f);
    var classify = logs.get(1);
    assertThat(classify.getLogMetadata().getModelSpec().getSignatureName()).isEqualTo("classify_x_to_y");
    assertThat(classify.getClassifyLog().getResponse().getResult().getClassifications(0).getClasses(0).getScore())
        .isEqualTo(4.0f);
    var regress = logs.get(2);
    assertThat(regress.getRegressLog().getRequest().getInput().getExampleList().getExamplesCount()).isEqualTo(1);
    assertThat(regress.getRegressLog().getResponse().getResult().getRegressions(0).getValue()).isEqualTo(5.0f);
    var multi = logs.get(3);
    assertThat(multi.getMultiInferenceLog().getRequest().getTasksCount()).isEqualTo(2);
    assertThat(multi.getMultiInferenceLog().getResponse().getResultsCount()).isEqualTo(2);
    var rest = logs.get(4);
    assertThat(rest.getPredictLog().getResponse().getOutputsOrThrow("y").getFloatValList()).containsExactly(3.5f);
  }

  @Test
  void samplingRateZeroLogsNothingAndHalfLogsAboutHalf() throws Exception {
    Path none = Files.createDirectories(tmp.resolve("none"));
    Path half = Files.createDirectories(tmp.resolve("half"));
    int n = 400;
    String text =
        "model_config_list {"
            + config("zero", 0.0, "tfrecord_file", none.resolve("zero")).replace("model_config_list {", "").replaceAll("}\\s*$", "")
            + config("half", 0.5, "tfrecord_file", half.resolve("half")).replace("model_config_list {", "").replaceAll("}\\s*$", "")
            + "}";
    try (EmbeddedServer server = serve(text)) {
      for (int i = 0; i < n; i++) {
        for (String m : List.of("zero", "half")) {
          server.api().predict(
              PredictRequest.newBuilder().setModelSpec(spec(m, "")).putInputs("x", floatVector(i)).build());
        }
      }
    }
    assertThat(finishedFiles(none)).isEmpty();
    List<Path> files = finishedFiles(half);
    assertThat(files).hasSize(1);
    List<byte[]> records = readWithTensorFlow(files.get(0));
    // Binomial(400, 0.5): mean 200, sd 10; 140..260 is six standard deviations each way.
    assertThat(records.size()).isBetween(140, 260);
    // Each logged request is a distinct one (inputs 0..399, none twice).
    List<Float> inputs = new ArrayList<>();
    for (byte[] r : records) {
      inputs.add(PredictionLog.parseFrom(r).getPredictLog().getRequest().getInputsOrThrow("x").getFloatVal(0));
    }
    assertThat(inputs).doesNotHaveDuplicates().allSatisfy(x -> assertThat(x).isBetween(0f, (float) n - 1));
  }

  @Test
  void aChangedLoggingConfigFinishesTheOldFileAndStartsANewOne() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("logs"));
    Path file = tmp.resolve("models.config");
    Files.writeString(file, config("hpt", 1.0, "tfrecord_file", dir.resolve("first")));
    try (EmbeddedServer server =
        EmbeddedServer.builder().modelConfigFile(file).grpcPort(0).noRest().fileSystemPollWait(Duration.ZERO).start()) {
      server.api().predict(PredictRequest.newBuilder().setModelSpec(spec("hpt", "")).putInputs("x", floatVector(1f)).build());
      Files.writeString(file, config("hpt", 1.0, "tfrecord_file", dir.resolve("second")));
      server.pollConfigNow();
      List<Path> afterChange = finishedFiles(dir);
      assertThat(afterChange).hasSize(1);
      assertThat(afterChange.get(0).getFileName().toString()).startsWith("first.");
      assertThat(readWithTensorFlow(afterChange.get(0))).hasSize(1);
      server.api().predict(PredictRequest.newBuilder().setModelSpec(spec("hpt", "")).putInputs("x", floatVector(2f)).build());
      server.api().predict(PredictRequest.newBuilder().setModelSpec(spec("hpt", "")).putInputs("x", floatVector(3f)).build());
    }
    List<Path> files = finishedFiles(dir);
    assertThat(files).hasSize(2);
    Path second = files.stream().filter(p -> p.getFileName().toString().startsWith("second.")).findFirst().orElseThrow();
    assertThat(readWithTensorFlow(second)).hasSize(2);
  }

  @Test
  void unknownCollectorTypesAndBadRatesAreRefusedNamingTheModel() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("logs"));
    assertThatThrownBy(() -> serve(config("hpt", 1.0, "cns", dir.resolve("x"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("model 'hpt'")
        .hasMessageContaining("log_collector_config.type 'cns'")
        .hasMessageContaining("tfrecord_file");
    assertThatThrownBy(() -> serve(config("hpt", 1.5, "tfrecord_file", dir.resolve("x"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("model 'hpt'")
        .hasMessageContaining("sampling_rate must be in [0, 1], got 1.5");
    assertThatThrownBy(() -> serve(config("hpt", 1.0, "tfrecord_file", tmp.resolve("missing/x"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("model 'hpt'")
        .hasMessageContaining("does not exist");
  }

  @Test
  void aFullQueueDropsAndCountsInsteadOfBlocking() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("logs"));
    // A queue of one record: the writer falls behind at once.
    var logs = new RequestLogs(1, 1L << 20);
    var m =
        ModelServerConfigOuterClass.ModelConfig.newBuilder()
            .setName("m")
            .setLoggingConfig(
                LoggingConfigOuterClass.LoggingConfig.newBuilder()
                    .setSamplingConfig(LoggingConfigOuterClass.SamplingConfig.newBuilder().setSamplingRate(1))
                    .setLogCollectorConfig(
                        LogCollectorConfigOuterClass.LogCollectorConfig.newBuilder()
                            .setType("tfrecord_file")
                            .setFilenamePrefix(dir.resolve("m").toString())))
            .build();
    logs.configure(List.of(m), tmp);
    int n = 20_000;
    for (int i = 0; i < n; i++) {
      logs.log(
          "m",
          spec("m", "s"),
          PredictionLog.newBuilder()
              .setPredictLog(
                  PredictionLogOuterClass.PredictLog.newBuilder()
                      .setRequest(PredictRequest.newBuilder().putInputs("x", floatVector(i)))));
    }
    long dropped = logs.dropped("m");
    long written;
    logs.close();
    int onDisk = 0;
    for (Path f : finishedFiles(dir)) {
      onDisk += readWithTensorFlow(f).size();
    }
    written = onDisk;
    assertThat(dropped).as("a one-record queue cannot keep up with 20000 offers").isPositive();
    assertThat(written + dropped).as("every record is either written or counted as dropped").isEqualTo(n);
  }
}
