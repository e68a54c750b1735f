package dev.tfkit.server;

import static dev.tfkit.testing.TestTensors.ones;
import static dev.tfkit.testing.TestTensors.shape;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tfkit.server.lifecycle.ServableState;
import dev.tfkit.server.lifecycle.ServableStatus;
import dev.tfkit.testing.ServedChannel;
import dev.tfkit.testing.TestDirs;
import dev.tfkit.testing.TestTensors;
import dev.tfkit.zoo.Fixtures;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorProto;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;

/**
 * Version folders built to hit TensorFlow's fatal CHECKs — constants of rank 255, shapes whose
 * element count overflows, shape attributes of rank 300, dtypes that do not exist, a signature of
 * rank 300 — and a half-copied folder. Each must become a failed version (END, with a message that
 * names the node) while the other models and the model's good version keep serving, a restart
 * with the folders still on disk must come up, and a half-copied version must load once its copy
 * completes. Without the Java checks most of these folders abort the whole JVM.
 */
class HostileModelTest {
  @TempDir static Path tmp;
  static Path good;
  static SavedModel halfPlusTwo;

  @BeforeAll
  static void readFixture() throws IOException {
    good = Fixtures.tfServing("saved_model_half_plus_two_cpu").resolve("00000123");
    halfPlusTwo = SavedModel.parseFrom(Files.readAllBytes(good.resolve("saved_model.pb")));
  }

  static NodeDef constNode(String name, TensorProto value) {
    return NodeDef.newBuilder().setName(name).setOp("Const")
        .putAttr("dtype", AttrValue.newBuilder().setTypeValue(Math.min(value.getDtypeValue(), 30)).build())
        .putAttr("value", AttrValue.newBuilder().setTensor(value).build())
        .build();
  }

  static UnaryOperator<MetaGraphDef> addNode(NodeDef n) {
    return m -> m.toBuilder().setGraphDef(m.getGraphDef().toBuilder().addNode(n)).build();
  }

  /** The hostile variants of half_plus_two: what each breaks, and the node its error must name. */
  static Map<String, UnaryOperator<MetaGraphDef>> variants() {
    Map<String, UnaryOperator<MetaGraphDef>> v = new LinkedHashMap<>();
    v.put("hostile_rank255", addNode(constNode("hostile_rank255",
        TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(shape(ones(255))).addFloatVal(1f).build())));
    v.put("hostile_overflow", addNode(constNode("hostile_overflow",
        TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(shape(1L << 40, 1L << 40)).addFloatVal(1f).build())));
    v.put("hostile_huge", addNode(constNode("hostile_huge",
        TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(shape(1L << 34)).addFloatVal(1f).build())));
    v.put("hostile_negative", addNode(constNode("hostile_negative",
        TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(shape(-7, 2)).addFloatVal(1f).build())));
    v.put("hostile_dtype", addNode(constNode("hostile_dtype",
        TensorProto.newBuilder().setDtypeValue(77).setTensorShape(shape(1)).build())));
    v.put("hostile_placeholder", addNode(NodeDef.newBuilder().setName("hostile_placeholder").setOp("Placeholder")
        .putAttr("dtype", AttrValue.newBuilder().setType(DataType.DT_FLOAT).build())
        .putAttr("shape", AttrValue.newBuilder().setShape(shape(ones(300))).build()).build()));
    v.put("hostile_output_shapes", addNode(NodeDef.newBuilder().setName("hostile_output_shapes").setOp("NoOp")
        .putAttr("_output_shapes", AttrValue.newBuilder().setList(AttrValue.ListValue.newBuilder()
            .addShape(shape(1L << 62, 4))).build()).build()));
    v.put("hostile_function", m -> m.toBuilder().setGraphDef(m.getGraphDef().toBuilder().setLibrary(
        m.getGraphDef().getLibrary().toBuilder().addFunction(FunctionDef.newBuilder()
            .setSignature(OpDef.newBuilder().setName("hostile_function"))
            .addNodeDef(constNode("inner", TensorProto.newBuilder().setDtype(DataType.DT_INT32)
                .setTensorShape(shape(ones(256))).addIntVal(3).build()))))).build());
    v.put("hostile_signature", m -> {
      SignatureDef sig = m.getSignatureDefOrThrow("serving_default");
      TensorInfo x = sig.getInputsOrThrow("x").toBuilder().setTensorShape(shape(ones(300))).build();
      return m.toBuilder().putSignatureDef("serving_default", sig.toBuilder().putInputs("x", x).build()).build();
    });
    return v;
  }

  /** A copy of half_plus_two's version folder with its meta graph changed by {@code change}. */
  static void writeVersion(Path dir, UnaryOperator<MetaGraphDef> change) throws IOException {
    TestDirs.copyTree(good, dir);
    SavedModel.Builder sm = halfPlusTwo.toBuilder();
    for (int i = 0; i < sm.getMetaGraphsCount(); i++) sm.setMetaGraphs(i, change.apply(sm.getMetaGraphs(i)));
    try (OutputStream out = Files.newOutputStream(dir.resolve("saved_model.pb"))) {
      sm.build().writeTo(out);
    }
  }

  static float predict(EmbeddedServer server, String model) {
    try (ServedChannel grpc = ServedChannel.to(server)) {
      return grpc.predict().withDeadlineAfter(30, TimeUnit.SECONDS)
          .predict(PredictRequest.newBuilder().setModelSpec(ModelSpec.newBuilder().setName(model))
              .putInputs("x", TestTensors.floatVector(8f)).build())
          .getOutputsOrThrow("y").getFloatVal(0);
    }
  }

  static ServableStatus status(EmbeddedServer server, String model, long version) {
    return server.models().status(model).stream().filter(s -> s.version() == version).findFirst().orElseThrow();
  }

  @Test
  void hostileVersionsFailAloneAndARestartWithThemOnDiskComesUp() throws Exception {
    Path base = Files.createDirectories(tmp.resolve("models"));
    Map<String, UnaryOperator<MetaGraphDef>> variants = variants();
    EmbeddedServer.Builder builder = EmbeddedServer.builder().grpcPort(0).noRest()
        .fileSystemPollWait(Duration.ofHours(1));
    builder.model("good", Files.createDirectories(base.resolve("good")));
    TestDirs.copyTree(good, base.resolve("good/1"));
    for (String name : variants.keySet()) {
      // Version 1 of each model is sound: the hostile version 2 arrives while it serves.
      TestDirs.copyTree(good, base.resolve(name + "/1"));
      builder.model(name, base.resolve(name));
    }
    List<String> problems = new ArrayList<>();
    try (EmbeddedServer server = builder.start()) {
      for (String name : variants.keySet()) {
        assertThat(predict(server, name)).isEqualTo(6f);
        Path staging = base.resolve(name + "/.staging-2");
        writeVersion(staging, variants.get(name));
        Files.move(staging, base.resolve(name + "/2"));
      }
      server.pollNow();
      for (String name : variants.keySet()) {
        ServableStatus s = status(server, name, 2);
        String named = name.equals("hostile_signature") ? "signature_def['serving_default']" : name;
        if (s.state() != ServableState.END || s.error().isEmpty() || !s.error().get().contains(named)) {
          problems.add(name + ": " + s);
        }
        // The sound version keeps serving (the policy serves the latest that loaded).
        assertThat(predict(server, name)).as(name).isEqualTo(6f);
      }
      assertThat(predict(server, "good")).isEqualTo(6f);
    }
    assertThat(problems).isEmpty();

    // A restart with every hostile folder still on disk comes up and serves the good model. Like
    // TF Serving, the latest-version policy aspires only to version 2, so the hostile models
    // have nothing to serve until a sound version is newer.
    try (EmbeddedServer again = builder.start()) {
      assertThat(predict(again, "good")).isEqualTo(6f);
      for (String name : variants.keySet()) {
        assertThat(status(again, name, 2).state()).as(name).isEqualTo(ServableState.END);
      }
    }
  }

  @Test
  void errorsNameTheLimit() throws Exception {
    Path dir = tmp.resolve("rank/1");
    writeVersion(dir, variants().get("hostile_rank255"));
    try (EmbeddedServer server = EmbeddedServer.builder().grpcPort(0).noRest()
        .model("rank", dir.getParent()).start()) {
      String error = status(server, "rank", 1).error().orElseThrow();
      assertThat(error).contains("hostile_rank255").contains("255 dimensions").contains("at most 254")
          .contains(dir.toString());
    }
  }

  @Test
  void aHalfCopiedVersionIsNotServedAndLoadsOnceTheCopyCompletes() throws Exception {
    Path base = Files.createDirectories(tmp.resolve("copying"));
    TestDirs.copyTree(good, base.resolve("1"));
    try (EmbeddedServer server = EmbeddedServer.builder().grpcPort(0).noRest()
        .fileSystemPollWait(Duration.ofHours(1)).model("m", base).start()) {
      // Version 2 appears with its graph but not yet its variables, as a plain cp -r shows it.
      Path v2 = Files.createDirectories(base.resolve("2"));
      Files.copy(good.resolve("saved_model.pb"), v2.resolve("saved_model.pb"));
      server.pollNow();
      ServableStatus s = status(server, "m", 2);
      assertThat(s.state()).isEqualTo(ServableState.END);
      assertThat(s.error().orElseThrow()).contains("variables").contains("being copied");
      assertThat(predict(server, "m")).isEqualTo(6f); // version 1 still answers

      // Half the checkpoint: the index without the data shard.
      Files.createDirectories(v2.resolve("variables"));
      Files.copy(good.resolve("variables/variables.index"), v2.resolve("variables/variables.index"));
      server.pollNow();
      assertThat(status(server, "m", 2).state()).isEqualTo(ServableState.END);

      // The copy completes: the next poll sees a changed folder and loads it.
      try (var files = Files.list(good.resolve("variables"))) {
        for (Path f : (Iterable<Path>) files::iterator) {
          Path to = v2.resolve("variables").resolve(f.getFileName().toString());
          if (!Files.exists(to)) Files.copy(f, to);
        }
      }
      for (String asset : List.of("assets")) {
        if (Files.isDirectory(good.resolve(asset))) TestDirs.copyTree(good.resolve(asset), v2.resolve(asset));
      }
      server.pollNow();
      assertThat(status(server, "m", 2).state()).isEqualTo(ServableState.AVAILABLE);
      assertThat(predict(server, "m")).isEqualTo(6f);
      assertThat(server.models().status("m").stream().map(ServableStatus::state))
          .doesNotContain(ServableState.LOADING);
    }
  }
}
