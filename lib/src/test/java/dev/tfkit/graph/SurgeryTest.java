package dev.tfkit.graph;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/** Surgery on small hand-built graphs whose answers are known. */
class SurgeryTest {
  static final AttrValue FLOAT = AttrValue.newBuilder().setType(DataType.DT_FLOAT).build();

  static TensorShapeProto shape(long... dims) {
    TensorShapeProto.Builder b = TensorShapeProto.newBuilder();
    for (long d : dims) b.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    return b.build();
  }

  static TensorProto floats(long[] dims, float... v) {
    TensorProto.Builder b = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(shape(dims));
    for (float f : v) b.addFloatVal(f);
    return b.build();
  }

  static NodeDef placeholder(String name, long... dims) {
    return NodeDef.newBuilder().setName(name).setOp("Placeholder").putAttr("dtype", FLOAT)
        .putAttr("shape", AttrValue.newBuilder().setShape(shape(dims)).build()).build();
  }

  static NodeDef constant(String name, TensorProto t) {
    return NodeDef.newBuilder().setName(name).setOp("Const").putAttr("dtype", FLOAT)
        .putAttr("value", AttrValue.newBuilder().setTensor(t).build()).build();
  }

  static NodeDef op(String name, String op, String... in) {
    return NodeDef.newBuilder().setName(name).setOp(op).addAllInput(List.of(in)).putAttr("T", FLOAT).build();
  }

  /** Resource variable w (shape [2]) read by ReadVariableOp, with an initializer and an AssignAddVariableOp. */
  static GraphDef resourceGraph() {
    return GraphDef.newBuilder()
        .addNode(placeholder("x", -1, 2))
        .addNode(NodeDef.newBuilder().setName("w").setOp("VarHandleOp").putAttr("dtype", FLOAT)
            .putAttr("shape", AttrValue.newBuilder().setShape(shape(2)).build())
            .putAttr("shared_name", AttrValue.newBuilder().setS(ByteString.copyFromUtf8("w")).build()).build())
        .addNode(constant("w/init", floats(new long[] {2}, 0f, 0f)))
        .addNode(NodeDef.newBuilder().setName("w/assign").setOp("AssignVariableOp").addInput("w").addInput("w/init").putAttr("dtype", FLOAT).build())
        .addNode(NodeDef.newBuilder().setName("w/bump").setOp("AssignAddVariableOp").addInput("w").addInput("w/init").putAttr("dtype", FLOAT).build())
        .addNode(NodeDef.newBuilder().setName("init").setOp("NoOp").addInput("^w/assign").build())
        .addNode(NodeDef.newBuilder().setName("w/read").setOp("ReadVariableOp").addInput("w").putAttr("dtype", FLOAT).build())
        .addNode(op("y", "Mul", "x", "w/read"))
        .addNode(op("y/check", "CheckNumerics", "y").toBuilder().putAttr("message", AttrValue.newBuilder().setS(ByteString.copyFromUtf8("nan")).build()).build())
        .addNode(op("out", "Identity", "y/check"))
        .build();
  }

  @Test
  void freezesResourceVariablesKeepingDtypeAndShape() {
    TensorProto w = floats(new long[] {2}, 3f, -1f);
    try (ModelGraph g = ModelGraph.of(resourceGraph(), Map.of("w", w)); ModelGraph f = g.freeze()) {
      NodeDef c = f.node("w");
      assertThat(c.getOp()).isEqualTo("Const");
      assertThat(c.getAttrOrThrow("value").getTensor().getTensorShape()).isEqualTo(shape(2));
      assertThat(c.getAttrOrThrow("dtype").getType()).isEqualTo(DataType.DT_FLOAT);
      assertThat(f.node("w/read").getOp()).isEqualTo("Identity");
      assertThat(f.find("assign|bump|^init$|w/init")).isEmpty();
      assertThat(f.spec("w/read:0").shape()).containsExactly(2);
      float[] y = ModelGraph.floats(f.run(Map.of("x:0", new float[][] {{1f, 2f}}), "out:0").get("out:0"));
      assertThat(y).containsExactly(3f, -2f);
    }
  }

  @Test
  void removeTrainingNodesCollapsesIdentityAndCheckNumerics() {
    try (ModelGraph g = ModelGraph.of(resourceGraph(), Map.of("w", floats(new long[] {2}, 1f, 1f)));
        ModelGraph s = g.freeze().removeTrainingNodes("out")) {
      assertThat(s.find("^y/check$")).isEmpty();
      assertThat(s.node("out").getInput(0)).isEqualTo("y");
      assertThat(s.node("y").getInputList()).containsExactly("x", "w"); // the Identity read was spliced out too
    }
  }

  @Test
  void removeTrainingNodesDropsOptimizerAndGradients() {
    GraphDef g = GraphDef.newBuilder()
        .addNode(placeholder("x", 2))
        .addNode(NodeDef.newBuilder().setName("v").setOp("VariableV2").putAttr("dtype", FLOAT)
            .putAttr("shape", AttrValue.newBuilder().setShape(shape(2)).build()).build())
        .addNode(op("v/read", "Identity", "v"))
        .addNode(op("y", "Mul", "x", "v/read"))
        .addNode(op("gradients/y_grad", "Mul", "x", "x"))
        .addNode(constant("lr", floats(new long[] {}, 0.1f)))
        .addNode(op("train/apply", "ApplyGradientDescent", "v", "lr", "gradients/y_grad").toBuilder()
            .putAttr("use_locking", AttrValue.newBuilder().setB(false).build()).build())
        .addNode(NodeDef.newBuilder().setName("train").setOp("NoOp").addInput("^train/apply").build())
        .build();
    try (ModelGraph m = ModelGraph.of(g); ModelGraph s = m.removeTrainingNodes()) {
      assertThat(s.nodeNames()).containsExactlyInAnyOrder("x", "v", "v/read", "y");
      assertThat(s.likelyOutputs()).containsExactly("y");
    }
  }

  @Test
  void extractKeepsControlDependencies() {
    GraphDef g = GraphDef.newBuilder()
        .addNode(placeholder("x", 1))
        .addNode(constant("c", floats(new long[] {1}, 2f)))
        .addNode(op("assert_like", "Identity", "c"))
        .addNode(NodeDef.newBuilder().setName("y").setOp("Mul").addInput("x").addInput("c").addInput("^assert_like").putAttr("T", FLOAT).build())
        .addNode(op("unrelated", "Neg", "x"))
        .build();
    try (ModelGraph m = ModelGraph.of(g); ModelGraph e = m.extractSubGraph("y:0")) {
      assertThat(e.nodeNames()).containsExactly("x", "c", "assert_like", "y");
    }
  }

  @Test
  void cutAtSecondOutputMakesNewPlaceholder() {
    GraphDef g = GraphDef.newBuilder()
        .addNode(placeholder("x", 4))
        .addNode(constant("axis", TensorProto.newBuilder().setDtype(DataType.DT_INT32).setTensorShape(shape()).addIntVal(0).build())
            .toBuilder().putAttr("dtype", AttrValue.newBuilder().setType(DataType.DT_INT32).build()).build())
        .addNode(NodeDef.newBuilder().setName("split").setOp("Split").addInput("axis").addInput("x").putAttr("T", FLOAT)
            .putAttr("num_split", AttrValue.newBuilder().setI(2).build()).build())
        .addNode(op("a", "Neg", "split"))
        .addNode(op("b", "Neg", "split:1"))
        .build();
    try (ModelGraph m = ModelGraph.of(g); ModelGraph c = m.cutAt("split:1").extractSubGraph("b")) {
      String in = c.cutTensorName("split:1");
      assertThat(in).isEqualTo("split_cut1:0");
      assertThat(c.nodeNames()).containsExactly("split_cut1", "b");
      assertThat(c.spec(in).shape()).containsExactly(2);
      assertThat(ModelGraph.floats(c.run(Map.of(in, new float[] {5f, 6f}), "b:0").get("b:0"))).containsExactly(-5f, -6f);
    }
  }

  @Test
  void summaryCountsOpsAndBytes() {
    try (ModelGraph g = ModelGraph.of(resourceGraph(), Map.of("w", floats(new long[] {2}, 1f, 1f)))) {
      GraphSummary s = g.summary();
      assertThat(s.nodeCount()).isEqualTo(10);
      assertThat(s.variableCount()).isEqualTo(1);
      assertThat(s.variableBytes()).isEqualTo(8);
      assertThat(s.constBytes()).isEqualTo(8);
      assertThat(s.likelyInputs()).containsExactly("x");
      assertThat(s.likelyOutputs()).containsExactly("out");
      var t = g.table();
      assertThat(t.rowCount()).isEqualTo(10);
      int row = g.nodeNames().indexOf("y");
      assertThat(t.stringColumn("dtypes").get(row)).isEqualTo("float");
      assertThat(t.stringColumn("shapes").get(row)).isEqualTo("(-1, 2)");
    }
  }

  @Test
  void freezesResourceGatherIntoGatherV2() {
    AttrValue i32 = AttrValue.newBuilder().setType(DataType.DT_INT32).build();
    GraphDef g = GraphDef.newBuilder()
        .addNode(NodeDef.newBuilder().setName("ids").setOp("Placeholder").putAttr("dtype", i32)
            .putAttr("shape", AttrValue.newBuilder().setShape(shape(-1)).build()))
        .addNode(NodeDef.newBuilder().setName("table").setOp("VarHandleOp").putAttr("dtype", FLOAT)
            .putAttr("shape", AttrValue.newBuilder().setShape(shape(3, 2)).build()))
        .addNode(NodeDef.newBuilder().setName("lookup").setOp("ResourceGather").addInput("table").addInput("ids")
            .putAttr("dtype", FLOAT).putAttr("Tindices", i32))
        .build();
    TensorProto table = floats(new long[] {3, 2}, 1f, 2f, 3f, 4f, 5f, 6f);
    try (ModelGraph m = ModelGraph.of(g, Map.of("table", table)); ModelGraph f = m.freeze()) {
      assertThat(f.node("lookup").getOp()).isEqualTo("GatherV2");
      assertThat(f.node("table").getOp()).isEqualTo("Const");
      assertThat(ModelGraph.floats(f.run(Map.of("ids:0", new int[] {2, 0}), "lookup:0").get("lookup:0")))
          .containsExactly(5f, 6f, 1f, 2f);
    }
  }

  @Test
  void freezesVariableShapeIntoShape() {
    GraphDef g = GraphDef.newBuilder()
        .addNode(NodeDef.newBuilder().setName("table").setOp("VarHandleOp").putAttr("dtype", FLOAT)
            .putAttr("shape", AttrValue.newBuilder().setShape(shape(3, 2)).build()))
        .addNode(NodeDef.newBuilder().setName("dims").setOp("VariableShape").addInput("table")
            .putAttr("out_type", AttrValue.newBuilder().setType(DataType.DT_INT64).build()))
        .build();
    TensorProto table = floats(new long[] {3, 2}, 1f, 2f, 3f, 4f, 5f, 6f);
    try (ModelGraph m = ModelGraph.of(g, Map.of("table", table)); ModelGraph f = m.freeze()) {
      assertThat(f.node("dims").getOp()).isEqualTo("Shape");
      assertThat(f.variables()).isEmpty();
      assertThat(f.runValues(Map.of(), "dims:0").get("dims:0").longs()).containsExactly(3L, 2L);
    }
  }
}
