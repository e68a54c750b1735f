package dev.tfkit.savedmodel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.tfkit.io.TempSiblings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

class SavedModelExportTest {
  @TempDir Path tmp;

  private SavedModelExport halfPlusTwoExport() {
    return SavedModelExport.from(TestModels.halfPlusTwo(), TestModels.halfPlusTwoValues())
        .signature(SignatureSpec.predict().input("x", "x").output("y", "y"))
        .signature("times_three", SignatureSpec.predict().input("x", "x:0").output("y", "y3:0"))
        .signature("classify_it", SignatureSpec.classify("inputs", null, "scores"))
        .signature("regress_it", SignatureSpec.regress("inputs", "outputs"));
  }

  @Test
  void multiSignatureExportAnswersThroughTensorFlowsLoader() {
    Path dir = halfPlusTwoExport().exportTo(tmp.resolve("m"));
    try (SavedModelBundle b = SavedModelBundle.load(dir.toString(), "serve")) {
      MetaGraphDef meta = b.metaGraphDef();
      assertThat(meta.getMetaInfoDef().getTagsList()).containsExactly("serve");
      assertThat(meta.getSignatureDefMap()).containsOnlyKeys("serving_default", "times_three", "classify_it", "regress_it");
      SignatureDef def = meta.getSignatureDefOrThrow("serving_default");
      assertThat(def.getMethodName()).isEqualTo("tensorflow/serving/predict");
      assertThat(def.getInputsOrThrow("x").getName()).isEqualTo("x:0");
      assertThat(def.getInputsOrThrow("x").getDtype()).isEqualTo(DataType.DT_FLOAT);
      assertThat(def.getInputsOrThrow("x").getTensorShape().getDimList()).extracting(d -> d.getSize()).containsExactly(-1L, 1L);
      assertThat(meta.getSignatureDefOrThrow("classify_it").getMethodName()).isEqualTo("tensorflow/serving/classify");
      assertThat(meta.getSignatureDefOrThrow("regress_it").getMethodName()).isEqualTo("tensorflow/serving/regress");
      assertThat(meta.getGraphDef().getNodeList()).allMatch(n -> n.getDevice().isEmpty());

      try (TFloat32 x = TFloat32.tensorOf(StdArrays.ndCopyOf(new float[][] {{1f}, {4f}}));
          Result r = b.function("serving_default").call(Map.of("x", x));
          Result r3 = b.function("times_three").call(Map.of("x", x))) {
        TFloat32 y = (TFloat32) r.get("y").orElseThrow();
        assertThat(y.getFloat(0, 0)).isEqualTo(2.5f);
        assertThat(y.getFloat(1, 0)).isEqualTo(4f);
        assertThat(((TFloat32) r3.get("y").orElseThrow()).getFloat(1, 0)).isEqualTo(12f);
      }
      try (TString in = TString.vectorOf("10", "-2");
          Result c = b.function("classify_it").call(Map.of("inputs", in));
          Result rg = b.function("regress_it").call(Map.of("inputs", in))) {
        assertThat(((TFloat32) c.get("scores").orElseThrow()).getFloat(0, 0)).isEqualTo(5f);
        assertThat(((TFloat32) rg.get("outputs").orElseThrow()).getFloat(1)).isEqualTo(0f);
      }
    }
  }

  @Test
  void liveSessionValuesAreSaved() {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      var x = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1)));
      var w = tf.withName("w").variable(Shape.scalar(), TFloat32.class);
      tf.withName("y").math.mul(x, w);
      var assign = tf.assign(w, tf.constant(7f));
      s.runner().addTarget(assign).run();
      Path dir = SavedModelExport.from(s)
          .signature(SignatureSpec.predict().input("x", "x").output("y", "y"))
          .exportTo(tmp.resolve("live"));
      try (SavedModelBundle b = SavedModelBundle.load(dir.toString());
          TFloat32 in = TFloat32.vectorOf(2f);
          Result r = b.function("serving_default").call(Map.of("x", in))) {
        assertThat(((TFloat32) r.get("y").orElseThrow()).getFloat(0)).isEqualTo(14f);
      }
      assertThat(Files.exists(dir.resolve("variables/variables.index"))).isTrue();
    }
  }

  @Test
  void assetTableModelLoads200TimesWithoutFailure() throws Exception {
    Path vocab = TestModels.vocab(tmp, 50);
    Path dir = SavedModelExport.from(TestModels.vocabLookup())
        .asset("vocab_path", vocab)
        .signature(SignatureSpec.predict().input("ids", "ids").output("words", "words"))
        .exportTo(tmp.resolve("vocab_model"));
    assertThat(dir.resolve("assets/vocab.txt")).hasSameTextualContentAs(vocab);
    // The export folder is moved away from where it was written: the loader must feed the real path.
    Files.delete(vocab);
    int failures = 0;
    for (int i = 0; i < 200; i++) {
      try (SavedModelBundle b = SavedModelBundle.load(dir.toString(), "serve");
          TInt64 ids = TInt64.vectorOf(i % 50, 3, 99);
          Result r = b.function("serving_default").call(Map.of("ids", ids))) {
        TString w = (TString) r.get("words").orElseThrow();
        if (!w.getObject(0).equals("word" + (i % 50)) || !w.getObject(1).equals("word3") || !w.getObject(2).equals("UNK")) {
          failures++;
        }
      } catch (RuntimeException e) {
        failures++;
      }
    }
    assertThat(failures).isZero();
  }

  @Test
  void initOpIsFoundThroughTheTf2SignatureAlone() throws Exception {
    Path vocab = TestModels.vocab(tmp, 5);
    Path dir = SavedModelExport.from(TestModels.vocabLookup())
        .asset("vocab_path", vocab)
        .signature(SignatureSpec.predict().input("ids", "ids").output("words", "words"))
        .exportTo(tmp.resolve("vocab_model"));
    Path pb = dir.resolve("saved_model.pb");
    SavedModel sm = SavedModel.parseFrom(Files.readAllBytes(pb));
    MetaGraphDef meta = sm.getMetaGraphs(0);
    String initName = meta.getCollectionDefOrThrow(SavedModelExport.MAIN_OP_COLLECTION).getNodeList().getValue(0);
    assertThat(meta.getSignatureDefOrThrow(SavedModelExport.INIT_OP_SIGNATURE_KEY)
            .getOutputsOrThrow(SavedModelExport.INIT_OP_SIGNATURE_KEY).getName()).isEqualTo(initName);
    // Without the TF1 collection, TensorFlow's loader must still run the table initialiser.
    Files.write(pb, sm.toBuilder().setMetaGraphs(0, meta.toBuilder()
        .removeCollectionDef(SavedModelExport.MAIN_OP_COLLECTION)).build().toByteArray());
    try (SavedModelBundle b = SavedModelBundle.load(dir.toString(), "serve");
        TInt64 ids = TInt64.vectorOf(4, 7);
        Result r = b.function("serving_default").call(Map.of("ids", ids))) {
      TString w = (TString) r.get("words").orElseThrow();
      assertThat(w.getObject(0)).isEqualTo("word4");
      assertThat(w.getObject(1)).isEqualTo("UNK");
    }
  }

  @Test
  void bigConstantsMoveToVariablesAndOutputsStayEqual() {
    float[] big = new float[4096];
    for (int i = 0; i < big.length; i++) big[i] = (float) Math.sin(i);
    GraphDef gd;
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      var x = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(4096)));
      tf.withName("y").math.mul(x, tf.withName("weights").constant(big));
      gd = g.toGraphDef();
    }
    SignatureSpec sig = SignatureSpec.predict().input("x", "x").output("y", "y");
    Path inGraph = SavedModelExport.from(gd).signature(sig).constantsAsVariablesAbove(Long.MAX_VALUE).exportTo(tmp.resolve("const"));
    Path asVars = SavedModelExport.from(gd).signature(sig).constantsAsVariablesAbove(1024).exportTo(tmp.resolve("vars"));
    long pbConst = tmp.resolve("const/saved_model.pb").toFile().length();
    long pbVars = tmp.resolve("vars/saved_model.pb").toFile().length();
    assertThat(pbConst).isGreaterThan(4096 * 4);
    assertThat(pbVars).isLessThan(pbConst - 4096 * 4 + 4096);
    assertThat(asVars.resolve("variables/variables.data-00000-of-00001")).exists();
    float[] in = new float[4096];
    Arrays.fill(in, 2f);
    assertThat(runY(asVars, in)).containsExactly(runY(inGraph, in));
    assertThat(runY(asVars, in)[5]).isEqualTo(2f * (float) Math.sin(5));
  }

  private static float[] runY(Path dir, float[] in) {
    try (SavedModelBundle b = SavedModelBundle.load(dir.toString());
        TFloat32 x = TFloat32.vectorOf(in);
        Result r = b.function("serving_default").call(Map.of("x", x))) {
      TFloat32 y = (TFloat32) r.get("y").orElseThrow();
      float[] out = new float[(int) y.size()];
      for (int i = 0; i < out.length; i++) out[i] = y.getFloat(i);
      return out;
    }
  }

  @Test
  void versionsAreAtomicAndNeverOverwrittenUnlessAsked() throws Exception {
    Path base = tmp.resolve("models/hpt");
    assertThat(halfPlusTwoExport().exportVersion(base)).isEqualTo(base.resolve("1").toAbsolutePath());
    assertThat(halfPlusTwoExport().exportVersion(base)).isEqualTo(base.resolve("2").toAbsolutePath());
    assertThatThrownBy(() -> halfPlusTwoExport().exportVersion(base, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already exists");
    long before = Files.getLastModifiedTime(base.resolve("1/saved_model.pb")).toMillis();
    halfPlusTwoExport().overwrite(true).exportVersion(base, 1);
    assertThat(base.resolve("1/saved_model.pb")).exists();

    // A crash after the model is fully written but before the rename leaves no version 3.
    assertThatThrownBy(() -> halfPlusTwoExport().beforeCommit(p -> {
          assertThat(p.resolve("saved_model.pb")).exists();
          assertThat(p.getFileName().toString()).startsWith(".");
          throw new IllegalStateException("simulated crash");
        }).exportVersion(base)).hasMessage("simulated crash");
    try (Stream<Path> s = Files.list(base)) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("1", "2");
    }
    assertThat(before).isPositive();
    assertThat(VersionFolders.next(base)).isEqualTo(3);
    Path ts = halfPlusTwoExport().exportTimestampVersion(base);
    assertThat(Long.parseLong(ts.getFileName().toString())).isGreaterThan(1_600_000_000L);
    assertThat(VersionFolders.latest(base)).hasValue(Long.parseLong(ts.getFileName().toString()));
  }

  @Test
  void aKilledExportsTempFoldersAreRemovedByTheNextExportButALiveOnesAreKept() throws Exception {
    Path base = tmp.resolve("models/stale");
    halfPlusTwoExport().exportVersion(base);
    long pid = ProcessHandle.current().pid();
    // Left by a killed export: this pid but another start time, i.e. a process that is gone and
    // whose pid was reused; and one in the older unowned naming, two hours old.
    Path killed = Files.createDirectories(base.resolve(".2.tfkit-tmp-" + pid + "-1000-abc"));
    Files.writeString(killed.resolve("saved_model.pb"), "half");
    Path unowned = Files.createDirectories(base.resolve(".3.tfkit-tmp-8012345678901234"));
    Files.setLastModifiedTime(unowned, FileTime.from(
        Instant.now().minus(Duration.ofHours(2))));
    // Being written right now by a live export (this process), and an unowned one just made.
    Path live = Files.createDirectories(TempSiblings.tempFor(base.resolve("4")));
    Path fresh = Files.createDirectories(base.resolve(".5.tfkit-tmp-8012345678901235"));

    halfPlusTwoExport().exportVersion(base);

    assertThat(killed).doesNotExist();
    assertThat(unowned).doesNotExist();
    assertThat(live).exists();
    assertThat(fresh).exists();
    assertThat(base.resolve("2/saved_model.pb")).exists();
  }

  @Test
  void badInputIsRefusedBeforeAnythingIsWritten() throws Exception {
    Path target = tmp.resolve("never");
    assertThatThrownBy(() -> SavedModelExport.from(TestModels.halfPlusTwo(), TestModels.halfPlusTwoValues())
            .signature(SignatureSpec.predict().input("x", "x").output("y", "nope:0")).exportTo(target))
        .hasMessageContaining("signature 'serving_default' output 'y'").hasMessageContaining("'nope:0' not found");
    assertThatThrownBy(() -> halfPlusTwoExport().signature("times_three", SignatureSpec.predict()))
        .hasMessageContaining("duplicate signature key 'times_three'");
    assertThatThrownBy(() -> SignatureSpec.predict().input("x", "x").input("x", "y"))
        .hasMessageContaining("duplicate input key 'x'");
    assertThatThrownBy(() -> SavedModelExport.from(TestModels.vocabLookup())
            .asset("vocab_path", tmp.resolve("missing.txt"))
            .signature(SignatureSpec.predict().input("ids", "ids").output("words", "words")).exportTo(target))
        .hasMessageContaining("asset file").hasMessageContaining("missing.txt");
    assertThatThrownBy(() -> SavedModelExport.from(TestModels.halfPlusTwo())
            .signature(SignatureSpec.predict().input("x", "x").output("y", "y")).exportTo(target))
        .hasMessageContaining("variable 'a' has no value");
    assertThatThrownBy(() -> SavedModelExport.from(TestModels.vocabLookup())
            .signature(SignatureSpec.predict().input("ids", "ids").output("words", "words")).exportTo(target))
        .hasMessageContaining("table initializer 'table_init'").hasMessageContaining("vocab_path");
    Path readOnly = Files.createDirectory(tmp.resolve("ro"));
    readOnly.toFile().setWritable(false);
    if (!Files.isWritable(readOnly)) { // root can write anywhere
      assertThatThrownBy(() -> halfPlusTwoExport().exportTo(readOnly.resolve("m")))
          .hasMessageContaining("cannot be written").hasMessageContaining(readOnly.toString());
    }
    readOnly.toFile().setWritable(true);
    assertThat(target).doesNotExist();
    try (Stream<Path> s = Files.list(tmp)) {
      assertThat(s.map(p -> p.getFileName().toString())).containsOnly("ro");
    }
  }

  @Test
  void variableReadAsTableFileNameIsRefused() {
    GraphDef gd;
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      var pathVar = tf.withName("index_asset_path").variable(Shape.scalar(), TString.class);
      var table = tf.withName("table").hashTable(TInt64.class, TString.class);
      tf.withName("table_init").initializeTableFromTextFile(table, pathVar, -1L, -2L);
      var ids = tf.withName("ids").placeholder(TInt64.class);
      tf.withName("words").lookupTableFind(table, ids, tf.constant("UNK"));
      gd = g.toGraphDef();
    }
    assertThatThrownBy(() -> SavedModelExport.from(gd, Map.of("index_asset_path", TensorProto.newBuilder()
                .setDtype(DataType.DT_STRING).addStringVal(ByteString.copyFromUtf8("x")).build()))
            .signature(SignatureSpec.predict().input("ids", "ids").output("words", "words")).toProto())
        .hasMessageContaining("variable 'index_asset_path'").hasMessageContaining("1437");
  }
}
