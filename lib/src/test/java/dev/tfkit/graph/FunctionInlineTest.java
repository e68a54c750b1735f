package dev.tfkit.graph;

import static dev.tfkit.graph.SurgeryTest.FLOAT;
import static dev.tfkit.graph.SurgeryTest.constant;
import static dev.tfkit.graph.SurgeryTest.floats;
import static dev.tfkit.graph.SurgeryTest.placeholder;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfkit.tensor.TfTensors;
import dev.tfkit.zoo.Fixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.Example;
import org.tensorflow.proto.Feature;
import org.tensorflow.proto.Features;
import org.tensorflow.proto.FloatList;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.FunctionDefLibrary;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NameAttrList;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TString;

/**
 * Function inlining and TF2 freezing, checked against TensorFlow itself: the same graph run with its
 * function calls (TF executes the functions) and after inlining must give the same tensors.
 */
class FunctionInlineTest {
  static final Path TF2 = Fixtures.tfServing("saved_model_half_plus_two_tf2_cpu/00000123");
  static final Set<String> VARIABLE_OPS = Set.of("VarHandleOp", "ReadVariableOp", "AssignVariableOp", "VarIsInitializedOp",
      "Variable", "VariableV2", "DisableCopyOnRead");
  static final Set<String> CALL_OPS = Set.of("PartitionedCall", "StatefulPartitionedCall");

  static final AttrValue I32 = type(DataType.DT_INT32);

  static AttrValue type(DataType t) {
    return AttrValue.newBuilder().setType(t).build();
  }

  static AttrValue types(DataType... t) {
    return AttrValue.newBuilder().setList(AttrValue.ListValue.newBuilder().addAllType(List.of(t))).build();
  }

  static AttrValue placeholderAttr(String name) {
    return AttrValue.newBuilder().setPlaceholder(name).build();
  }

  static AttrValue func(String name, Map<String, AttrValue> attrs) {
    return AttrValue.newBuilder().setFunc(NameAttrList.newBuilder().setName(name).putAllAttr(attrs)).build();
  }

  static OpDef.ArgDef arg(String name, String typeAttr) {
    return OpDef.ArgDef.newBuilder().setName(name).setTypeAttr(typeAttr).build();
  }

  static OpDef.ArgDef arg(String name, DataType t) {
    return OpDef.ArgDef.newBuilder().setName(name).setType(t).build();
  }

  static NodeDef node(String name, String op, String... inputs) {
    return NodeDef.newBuilder().setName(name).setOp(op).addAllInput(List.of(inputs)).build();
  }

  /**
   * {@code affine<T>(a, x, b) -> (y = a*x + b, ax = a*x, idx = unique(x).idx, half = split(x)[1] / 2)}:
   * a polymorphic function (attr placeholders), an op with two output args (Unique: y, idx), a
   * list output (Split's number_attr), and a constant with no inputs.
   */
  static FunctionDef affine() {
    OpDef sig = OpDef.newBuilder().setName("affine")
        .addInputArg(arg("a", "T")).addInputArg(arg("x", "T")).addInputArg(arg("b", "T"))
        .addOutputArg(arg("y", "T")).addOutputArg(arg("ax", "T")).addOutputArg(arg("idx", DataType.DT_INT32))
        .addOutputArg(arg("half", "T"))
        .addAttr(OpDef.AttrDef.newBuilder().setName("T").setType("type"))
        .build();
    AttrValue t = placeholderAttr("T");
    return FunctionDef.newBuilder().setSignature(sig)
        .addNodeDef(node("ax", "Mul", "a", "x").toBuilder().putAttr("T", t).setDevice("/device:CPU:0"))
        .addNodeDef(node("y", "AddV2", "ax:z:0", "b").toBuilder().putAttr("T", t))
        .addNodeDef(node("u", "Unique", "x").toBuilder().putAttr("T", t).putAttr("out_idx", I32))
        .addNodeDef(constant("two", floats(new long[] {}, 2f)))
        .addNodeDef(constant("dim", TensorProto.newBuilder().setDtype(DataType.DT_INT32).addIntVal(0).build()).toBuilder().putAttr("dtype", I32))
        .addNodeDef(node("parts", "Split", "dim:output:0", "x").toBuilder().putAttr("T", t)
            .putAttr("num_split", AttrValue.newBuilder().setI(2).build()))
        .addNodeDef(node("half", "RealDiv", "parts:output:1", "two:output:0").toBuilder().putAttr("T", t))
        .putRet("y", "y:z:0").putRet("ax", "ax:z:0").putRet("idx", "u:idx:0").putRet("half", "half:z:0")
        .build();
  }

  /**
   * {@code outer(x) -> (y, idx, half, sq)}: calls {@code affine} through a PartitionedCall (a = 3,
   * b = 1) and directly by op name ({@code sq = x*x + x}), with a control output.
   */
  static FunctionDef outer() {
    OpDef sig = OpDef.newBuilder().setName("outer").addInputArg(arg("x", DataType.DT_FLOAT))
        .addOutputArg(arg("y", DataType.DT_FLOAT)).addOutputArg(arg("idx", DataType.DT_INT32))
        .addOutputArg(arg("half", DataType.DT_FLOAT)).addOutputArg(arg("sq", DataType.DT_FLOAT))
        .addControlOutput("inner").build();
    return FunctionDef.newBuilder().setSignature(sig)
        .addNodeDef(constant("a", floats(new long[] {}, 3f)))
        .addNodeDef(constant("b", floats(new long[] {}, 1f)))
        .addNodeDef(node("inner", "PartitionedCall", "a:output:0", "x", "b:output:0").toBuilder()
            .putAttr("Tin", types(DataType.DT_FLOAT, DataType.DT_FLOAT, DataType.DT_FLOAT))
            .putAttr("Tout", types(DataType.DT_FLOAT, DataType.DT_FLOAT, DataType.DT_INT32, DataType.DT_FLOAT))
            .putAttr("f", func("affine", Map.of("T", FLOAT))))
        .addNodeDef(node("d", "affine", "x", "x", "x").toBuilder().putAttr("T", FLOAT))
        .putRet("y", "inner:output:0").putRet("idx", "inner:output:2").putRet("half", "inner:output:3").putRet("sq", "d:y:0")
        .putControlRet("inner", "inner")
        .build();
  }

  /** x → PartitionedCall(outer) gated by a NoOp, plus a consumer of output 3. */
  static GraphDef nestedGraph() {
    return GraphDef.newBuilder()
        .addNode(placeholder("x", 4))
        .addNode(node("start", "NoOp"))
        .addNode(node("call", "PartitionedCall", "x", "^start").toBuilder()
            .putAttr("Tin", types(DataType.DT_FLOAT))
            .putAttr("Tout", types(DataType.DT_FLOAT, DataType.DT_INT32, DataType.DT_FLOAT, DataType.DT_FLOAT))
            .putAttr("f", func("outer", Map.of())))
        .addNode(node("neg", "Neg", "call:3").toBuilder().putAttr("T", FLOAT))
        .setLibrary(FunctionDefLibrary.newBuilder().addFunction(affine()).addFunction(outer()))
        .build();
  }

  @Test
  void nestedHandBuiltCallsGiveWhatTensorFlowGives() {
    String[] fetches = {"call:0", "call:1", "call:2", "call:3", "neg:0"};
    Map<String, Object> feed = Map.of("x:0", new float[] {1f, 2f, 1f, 4f});
    try (ModelGraph g = ModelGraph.of(nestedGraph()); ModelGraph in = g.inlineFunctions()) {
      Map<String, TensorProto> expected = g.run(feed, fetches);
      Map<String, TensorProto> actual = in.run(feed, fetches);
      assertThat(actual).isEqualTo(expected);
      assertThat(ModelGraph.floats(actual.get("call:0"))).containsExactly(4f, 7f, 4f, 13f);
      assertThat(in.runValues(feed, "call:1").get("call:1").ints()).containsExactly(0, 1, 0, 2);
      assertThat(ModelGraph.floats(actual.get("call:2"))).containsExactly(0.5f, 2f);
      assertThat(ModelGraph.floats(actual.get("call:3"))).containsExactly(2f, 6f, 2f, 20f);

      GraphDef d = in.graphDef();
      assertThat(d.getLibrary().getFunctionCount()).isZero();
      for (NodeDef n : d.getNodeList()) {
        assertThat(n.getOp()).isNotIn("PartitionedCall", "affine", "outer");
        assertThat(n.getDevice()).isEmpty();
      }
      assertThat(in.node("call").getOp()).isEqualTo("IdentityN");
      assertThat(in.node("call").getInputList())
          .containsExactly("call/inner", "call/inner:2", "call/inner:3", "call/d", "^call/inner", "^call/input_control_node");
      assertThat(in.node("call/inner/ax").getInputList()).containsExactly("call/a", "x", "^call/inner/input_control_node");
      assertThat(in.node("call/inner/u").getOp()).isEqualTo("Unique");
      assertThat(in.node("call/inner").getInputList()).contains("call/inner/u:1", "call/inner/half");
      // the call's control input gates the inlined constants (no inputs) and the readers of arguments
      assertThat(in.node("call/input_control_node").getInputList()).containsExactly("^start");
      assertThat(in.node("call/a").getInputList()).containsExactly("^call/input_control_node");
      assertThat(in.node("call/inner/two").getInputList()).containsExactly("^call/inner/input_control_node");
      assertThat(in.node("call/inner/input_control_node").getInputList()).containsExactly("^call/input_control_node");
    }
  }

  @Test
  void callsThatCannotBeInlinedNameTheNodeAndFunction() {
    GraphDef missing = GraphDef.newBuilder().addNode(placeholder("x", 1))
        .addNode(node("c", "PartitionedCall", "x").toBuilder().putAttr("Tin", types(DataType.DT_FLOAT))
            .putAttr("Tout", types(DataType.DT_FLOAT)).putAttr("f", func("nowhere", Map.of())))
        .build();
    try (ModelGraph g = ModelGraph.of(missing)) {
      assertThatThrownBy(g::inlineFunctions).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("node 'c'").hasMessageContaining("function 'nowhere'");
    }

    OpDef loopSig = OpDef.newBuilder().setName("loop").addInputArg(arg("x", DataType.DT_FLOAT))
        .addOutputArg(arg("y", DataType.DT_FLOAT)).build();
    FunctionDef loop = FunctionDef.newBuilder().setSignature(loopSig)
        .addNodeDef(node("again", "loop", "x")).putRet("y", "again:y:0").build();
    GraphDef recursive = GraphDef.newBuilder().addNode(placeholder("x", 1)).addNode(node("c", "loop", "x"))
        .setLibrary(FunctionDefLibrary.newBuilder().addFunction(loop)).build();
    try (ModelGraph g = ModelGraph.of(recursive)) {
      assertThatThrownBy(g::inlineFunctions).hasMessageContaining("function 'loop'").hasMessageContaining("calls itself")
          .hasMessageContaining("node 'c/again'");
    }

    GraphDef noAttr = nestedGraph().toBuilder().removeNode(3).removeNode(2)
        .addNode(node("c", "PartitionedCall", "x", "x", "x").toBuilder()
            .putAttr("Tin", types(DataType.DT_FLOAT, DataType.DT_FLOAT, DataType.DT_FLOAT))
            .putAttr("Tout", types(DataType.DT_FLOAT, DataType.DT_FLOAT, DataType.DT_INT32, DataType.DT_FLOAT))
            .putAttr("f", func("affine", Map.of())))
        .build();
    try (ModelGraph g = ModelGraph.of(noAttr)) {
      assertThatThrownBy(g::inlineFunctions).hasMessageContaining("function 'affine' at node 'c'")
          .hasMessageContaining("attr 'T'");
    }
  }

  @Test
  void controlFlowKeepsItsFunctionsAndCapturedVariablesStayVariables() {
    OpDef branchSig = OpDef.newBuilder().addInputArg(arg("x", DataType.DT_FLOAT))
        .addInputArg(arg("h", DataType.DT_RESOURCE)).addOutputArg(arg("out", DataType.DT_FLOAT)).build();
    FunctionDef thenFn = FunctionDef.newBuilder().setSignature(branchSig.toBuilder().setName("then_add"))
        .addNodeDef(node("r", "ReadVariableOp", "h").toBuilder().putAttr("dtype", FLOAT))
        .addNodeDef(node("o", "AddV2", "x", "r:value:0").toBuilder().putAttr("T", FLOAT))
        .putRet("out", "o:z:0").build();
    FunctionDef elseFn = FunctionDef.newBuilder().setSignature(branchSig.toBuilder().setName("else_same"))
        .addNodeDef(node("o", "Identity", "x").toBuilder().putAttr("T", FLOAT))
        .putRet("out", "o:output:0").build();
    GraphDef g = GraphDef.newBuilder()
        .addNode(placeholder("x", 1))
        .addNode(NodeDef.newBuilder().setName("v").setOp("VarHandleOp").putAttr("dtype", FLOAT)
            .putAttr("shape", AttrValue.newBuilder().setShape(SurgeryTest.shape()).build()))
        .addNode(NodeDef.newBuilder().setName("pred").setOp("Const").putAttr("dtype", type(DataType.DT_BOOL))
            .putAttr("value", AttrValue.newBuilder().setTensor(TensorProto.newBuilder().setDtype(DataType.DT_BOOL).addBoolVal(true)).build()))
        .addNode(node("if", "If", "pred", "x", "v").toBuilder()
            .putAttr("Tcond", type(DataType.DT_BOOL)).putAttr("Tin", types(DataType.DT_FLOAT, DataType.DT_RESOURCE))
            .putAttr("Tout", types(DataType.DT_FLOAT))
            .putAttr("then_branch", func("then_add", Map.of())).putAttr("else_branch", func("else_same", Map.of())))
        .setLibrary(FunctionDefLibrary.newBuilder().addFunction(thenFn).addFunction(elseFn))
        .build();
    try (ModelGraph m = ModelGraph.of(g, Map.of("v", floats(new long[] {}, 10f)));
        ModelGraph in = m.inlineFunctions();
        ModelGraph f = m.freeze()) {
      assertThat(in.graphDef()).isEqualTo(m.graphDef());
      assertThat(f.node("if").getOp()).isEqualTo("If");
      assertThat(f.node("v").getOp()).isEqualTo("VarHandleOp");
      assertThat(f.variables()).containsOnlyKeys("v");
      assertThat(f.graphDef().getLibrary().getFunctionCount()).isEqualTo(2);
      assertThat(ModelGraph.floats(f.run(Map.of("x:0", new float[] {1f}), "if:0").get("if:0"))).containsExactly(11f);
    }
  }

  // ---- the TF2 half_plus_two SavedModel (signature wrappers calling the traced functions) ----

  /** The signature run by TensorFlow's own SavedModel loader on the original model (functions and all). */
  static float[] bundleRun(String signature, String inKey, Tensor in) {
    try (SavedModelBundle b = SavedModelBundle.load(TF2.toString(), "serve")) {
      SignatureDef sig = b.metaGraphDef().getSignatureDefOrThrow(signature);
      try (Result r = b.session().runner().feed(sig.getInputsOrThrow(inKey).getName(), in)
              .fetch(sig.getOutputsMap().values().iterator().next().getName()).run()) {
        return ModelGraph.floats(TfTensors.toProto(r.get(0)));
      }
    }
  }

  static TString examples(float... x) {
    byte[][] bytes = new byte[x.length][];
    for (int i = 0; i < x.length; i++) {
      Feature f = Feature.newBuilder().setFloatList(FloatList.newBuilder().addValue(x[i])).build();
      bytes[i] = Example.newBuilder().setFeatures(Features.newBuilder().putFeature("x", f).putFeature("x2", f)).build().toByteArray();
    }
    return TString.tensorOfBytes(NdArrays.vectorOfObjects(bytes));
  }

  @Test
  void tf2SavedModelFreezesToConstantsAndAnswersLikeTheSavedModel() {
    float[] x = {1f, 2f, 5f};
    try (ModelGraph g = ModelGraph.load(TF2); ModelGraph f = g.freeze()) {
      assertThat(f.variables()).isEmpty();
      List<String> left = new ArrayList<>();
      for (NodeDef n : f.graphDef().getNodeList()) {
        if (VARIABLE_OPS.contains(n.getOp()) || CALL_OPS.contains(n.getOp()) || GraphSurgery.SAVER_OPS.contains(n.getOp())) {
          left.add(n.getName() + " (" + n.getOp() + ")");
        }
      }
      assertThat(left).isEmpty();
      assertThat(f.graphDef().getLibrary().getFunctionCount()).isZero();
      assertThat(f.node("a").getOp()).isEqualTo("Const");
      assertThat(f.signatures()).containsKeys("serving_default", "regress_x_to_y");

      String y = f.signatures().get("serving_default").getOutputsOrThrow("y").getName();
      String in = f.signatures().get("serving_default").getInputsOrThrow("x").getName();
      float[] expected;
      try (TFloat32 t = TFloat32.vectorOf(x)) {
        expected = bundleRun("serving_default", "x", t);
      }
      assertThat(expected).containsExactly(2.5f, 3f, 4.5f);
      assertThat(ModelGraph.floats(f.run(Map.of(in, x), y).get(y))).containsExactly(expected);

      // tf.Example input: ParseExampleV2's list outputs resolved through the op registry
      String rin = f.signatures().get("regress_x_to_y").getInputsOrThrow("inputs").getName();
      String rout = f.signatures().get("regress_x_to_y").getOutputsOrThrow("outputs").getName();
      float[] viaBundle;
      try (TString ex = examples(3f, -2f)) {
        viaBundle = bundleRun("regress_x_to_y", "inputs", ex);
      }
      assertThat(viaBundle).containsExactly(3.5f, 1f);
      try (TString ex = examples(3f, -2f)) {
        assertThat(ModelGraph.floats(f.run(Map.of(rin, ex), rout).get(rout))).containsExactly(viaBundle);
      }
    }
  }

  @Test
  void tf2InliningFlattensTheNestedSignatureWrapper() {
    try (ModelGraph g = ModelGraph.load(TF2); ModelGraph in = g.inlineFunctions()) {
      for (NodeDef n : in.graphDef().getNodeList()) assertThat(n.getOp()).isNotIn(CALL_OPS);
      assertThat(in.graphDef().getLibrary().getFunctionCount()).isZero();
      // signature wrapper -> traced predict function: the read now takes the handle straight from the variable
      NodeDef read = in.node("StatefulPartitionedCall_5/StatefulPartitionedCall/Mul/ReadVariableOp");
      assertThat(read.getOp()).isEqualTo("ReadVariableOp");
      assertThat(read.getInput(0)).isEqualTo("a");
      assertThat(in.node("StatefulPartitionedCall_5").getOp()).isEqualTo("Identity");
      assertThat(in.variables()).isEqualTo(g.variables());
      CheckpointLoadTest.assertHalfPlusTwo(in, "serving_default_x:0", "StatefulPartitionedCall_5:0");
    }
  }

  @Test
  void extractAfterFreezeKeepsOnlyWhatTheOutputNeeds() {
    try (ModelGraph g = ModelGraph.load(TF2); ModelGraph f = g.freeze(); ModelGraph e = f.extractSubGraph("StatefulPartitionedCall_5:0")) {
      assertThat(e.nodeNames()).allMatch(n -> n.equals("a") || n.equals("b") || n.startsWith("serving_default_x")
          || n.startsWith("StatefulPartitionedCall_5"));
      assertThat(e.nodeNames()).contains("a", "b", "serving_default_x");
      assertThat(e.graphDef().getNodeCount()).isLessThan(20);
      for (NodeDef n : e.graphDef().getNodeList()) {
        assertThat(n.getOp()).isIn("Const", "PlaceholderWithDefault", "Identity", "Mul", "AddV2", "NoOp");
      }
      CheckpointLoadTest.assertHalfPlusTwo(e, "serving_default_x:0", "StatefulPartitionedCall_5:0");
    }
  }

}
