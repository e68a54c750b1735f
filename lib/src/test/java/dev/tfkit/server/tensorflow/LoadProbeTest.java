package dev.tfkit.server.tensorflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfkit.server.EmbeddedServer;
import dev.tfkit.server.lifecycle.ServableState;
import dev.tfkit.testing.TestDirs;
import dev.tfkit.zoo.Fixtures;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * The trial load in a child JVM: a sound folder passes, a folder the Java checks refuse fails
 * with their message, and a real TensorFlow abort (a rank-255 constant loaded with no checks at
 * all, by {@link UncheckedLoad}) ends only the child and comes back as the version's error.
 */
class LoadProbeTest {
  @TempDir Path tmp;
  static final Path GOOD = Fixtures.tfServing("saved_model_half_plus_two_cpu").resolve("00000123");

  /** A trial main that loads with TensorFlow alone, as a server without tfkit's checks would. */
  public static final class UncheckedLoad {
    public static void main(String[] args) {
      try (SavedModelBundle b = SavedModelBundle.load(args[0], "serve")) {
        System.exit(0);
      }
    }
  }

  /** half_plus_two with an extra constant of 255 dimensions, which TensorFlow's import aborts on. */
  Path rank255() throws IOException {
    Path dir = tmp.resolve("rank255");
    TestDirs.copyTree(GOOD, dir);
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (int i = 0; i < 255; i++) shape.addDim(TensorShapeProto.Dim.newBuilder().setSize(1));
    NodeDef c = NodeDef.newBuilder().setName("big_rank").setOp("Const")
        .putAttr("dtype", AttrValue.newBuilder().setType(DataType.DT_FLOAT).build())
        .putAttr("value", AttrValue.newBuilder().setTensor(TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
            .setTensorShape(shape).addFloatVal(1f)).build()).build();
    SavedModel sm = SavedModel.parseFrom(Files.readAllBytes(GOOD.resolve("saved_model.pb")));
    SavedModel.Builder b = sm.toBuilder();
    MetaGraphDef m = b.getMetaGraphs(0);
    b.setMetaGraphs(0, m.toBuilder().setGraphDef(m.getGraphDef().toBuilder().addNode(c)));
    try (OutputStream out = Files.newOutputStream(dir.resolve("saved_model.pb"))) {
      b.build().writeTo(out);
    }
    return dir;
  }

  @Test
  void aSoundFolderPasses() throws IOException {
    new LoadProbe(Duration.ofMinutes(2)).check(GOOD, true);
  }

  @Test
  void aFolderTheJavaChecksRefuseFailsWithTheirMessage() throws IOException {
    Path bad = rank255();
    assertThatThrownBy(() -> new LoadProbe(Duration.ofMinutes(2)).check(bad, false))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("node 'big_rank'").hasMessageContaining("at most 254");
  }

  @Test
  void aNativeAbortEndsOnlyTheTrial() throws IOException {
    Path bad = rank255();
    assertThatThrownBy(() -> new LoadProbe(Duration.ofMinutes(2), UncheckedLoad.class.getName()).check(bad, false))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("killed by signal 6 (SIGABRT)")
        .hasMessageContaining("Too many dimensions");
  }

  @Test
  void aServerWithTrialLoadsServes() throws IOException {
    try (EmbeddedServer server = EmbeddedServer.builder().grpcPort(0).noRest().probeLoads(true)
        .model("m", GOOD.getParent()).start()) {
      assertThat(server.models().status("m").get(0).state()).isEqualTo(ServableState.AVAILABLE);
    }
  }
}
