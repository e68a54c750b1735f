package dev.tfkit.graph;

import static dev.tfkit.graph.SurgeryTest.constant;
import static dev.tfkit.graph.SurgeryTest.floats;
import static dev.tfkit.graph.SurgeryTest.op;
import static dev.tfkit.graph.SurgeryTest.placeholder;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfkit.Tfkit;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.FunctionDefLibrary;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;
import org.tensorflow.proto.TensorProto;

/** ModelGraph.splice on small hand-built graphs whose composed answers are known. */
class SpliceTest {
  /** y = 2x + 1, with a control dependency of y on its input x. */
  static GraphDef affine() {
    return GraphDef.newBuilder()
        .addNode(placeholder("x", -1))
        .addNode(constant("two", floats(new long[] {}, 2f)))
        .addNode(constant("one", floats(new long[] {}, 1f)))
        .addNode(op("mul", "Mul", "two", "x"))
        .addNode(op("y", "AddV2", "mul", "one", "^x"))
        .build();
  }

  /** b = a + 3, plus an int32 tensor n and a [2, 2] tensor m for the mismatch cases. */
  static GraphDef front() {
    return GraphDef.newBuilder()
        .addNode(placeholder("a", -1))
        .addNode(constant("three", floats(new long[] {}, 3f)))
        .addNode(op("b", "AddV2", "a", "three"))
        .addNode(constant("m", floats(new long[] {2, 2}, 1f, 2f, 3f, 4f)))
        .addNode(NodeDef.newBuilder().setName("n").setOp("Const")
            .putAttr("dtype", AttrValue.newBuilder().setType(DataType.DT_INT32).build())
            .putAttr("value", AttrValue.newBuilder().setTensor(TensorProto.newBuilder()
                .setDtype(DataType.DT_INT32).addIntVal(7)).build())
            .build())
        .build();
  }

  @Test
  void aGraphSplicedBehindAnotherComputesTheComposition() {
    try (ModelGraph outer = ModelGraph.of(front());
        ModelGraph inner = ModelGraph.of(affine());
        ModelGraph s = outer.splice(inner, "affine", Map.of("x:0", "b:0"))) {
      String y = s.splicedTensorName("affine", "y:0");
      assertThat(y).isEqualTo("affine/y:0");
      // 2 * (a + 3) + 1
      assertThat(ModelGraph.floats(s.run(Map.of("a:0", new float[] {1f, 2f, -3f}), y).get(y)))
          .containsExactly(9f, 11f, 1f);
      // The mapped placeholder is gone; its readers read b, the control dependency too.
      assertThat(s.nodeNames()).doesNotContain("affine/x").contains("affine/two", "affine/mul", "affine/y");
      assertThat(s.node("affine/mul").getInputList()).containsExactly("affine/two", "b");
      assertThat(s.node("affine/y").getInputList()).containsExactly("affine/mul", "affine/one", "^b");
      assertThat(s.likelyInputs()).containsExactly("a");
      // Both inputs are left as they were.
      assertThat(outer.nodeNames()).containsExactly("a", "three", "b", "m", "n");
      assertThat(inner.nodeNames()).contains("x");
    }
  }

  @Test
  void theJShellHelperSplicesTheSameWay() {
    try (ModelGraph outer = ModelGraph.of(front());
        ModelGraph inner = ModelGraph.of(affine());
        ModelGraph s = Tfkit.splice(outer, inner, "affine", Map.of("x:0", "b:0"))) {
      assertThat(ModelGraph.floats(s.run(Map.of("a:0", new float[] {0f}), "affine/y:0").get("affine/y:0")))
          .containsExactly(7f);
    }
  }

  @Test
  void splicingTwiceUnderTwoPrefixesChainsTheGraphs() {
    try (ModelGraph outer = ModelGraph.of(front());
        ModelGraph inner = ModelGraph.of(affine());
        ModelGraph once = outer.splice(inner, "f1", Map.of("x:0", "b:0"));
        ModelGraph twice = once.splice(inner, "f2", Map.of("x", once.splicedTensorName("f1", "y")))) {
      String y = twice.splicedTensorName("f2", "y");
      // 2 * (2 * (a + 3) + 1) + 1
      assertThat(ModelGraph.floats(twice.run(Map.of("a:0", new float[] {0f, 1f}), y).get(y))).containsExactly(15f, 19f);
    }
  }

  @Test
  void inputMapNamesThatExistInNeitherGraphAreNamedWithSuggestions() {
    try (ModelGraph outer = ModelGraph.of(front()); ModelGraph inner = ModelGraph.of(affine())) {
      assertThatThrownBy(() -> outer.splice(inner, "p", Map.of("mull:0", "b:0")))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("splice input 'mull:0'")
          .hasMessageContaining("in the graph spliced in, node 'mull' not found; did you mean 'mul'");
      assertThatThrownBy(() -> outer.splice(inner, "p", Map.of("x:0", "bb:0")))
          .hasMessageContaining("splice input 'x:0' -> 'bb:0'")
          .hasMessageContaining("in this graph, node 'bb' not found; did you mean 'b'");
    }
  }

  @Test
  void aMapTheWrongWayRoundSaysWhichGraphTheNodeIsIn() {
    try (ModelGraph outer = ModelGraph.of(front()); ModelGraph inner = ModelGraph.of(affine())) {
      assertThatThrownBy(() -> outer.splice(inner, "p", Map.of("b:0", "x:0")))
          .hasMessageContaining("node 'b' is in this graph, not in the graph spliced in");
      assertThatThrownBy(() -> outer.splice(inner, "p", Map.of("x:0", "mul:0")))
          .hasMessageContaining("node 'mul' is in the graph spliced in, not in this graph");
    }
  }

  @Test
  void aPrefixThatCollidesWithANodeOrIsNoValidNameIsRefused() {
    GraphDef withScope = front().toBuilder().addNode(constant("affine/bias", floats(new long[] {}, 0f))).build();
    try (ModelGraph outer = ModelGraph.of(withScope); ModelGraph inner = ModelGraph.of(affine())) {
      assertThatThrownBy(() -> outer.splice(inner, "affine", Map.of("x:0", "b:0")))
          .hasMessageContaining("splice prefix 'affine' collides with node 'affine/bias'");
      assertThatThrownBy(() -> outer.splice(inner, "b", Map.of("x:0", "b:0")))
          .hasMessageContaining("splice prefix 'b' collides with node 'b'");
      try (ModelGraph s = outer.splice(inner, "aff", Map.of("x:0", "b:0"))) { // a scope, not a string prefix
        assertThat(s.nodeNames()).contains("affine/bias", "aff/y");
      }
      for (String bad : new String[] {"", "model/", "two words", "_x"}) {
        assertThatThrownBy(() -> outer.splice(inner, bad, Map.of("x:0", "b:0")))
            .hasMessageContaining("splice prefix '" + bad + "' is not a valid node name scope");
      }
    }
  }

  @Test
  void mismatchedDtypesShapesAndOutputIndicesAreNamed() {
    try (ModelGraph outer = ModelGraph.of(front()); ModelGraph inner = ModelGraph.of(affine())) {
      assertThatThrownBy(() -> outer.splice(inner, "p", Map.of("x:0", "n:0")))
          .hasMessageContaining("splice input 'x:0' is float but 'n:0' is int32");
      assertThatThrownBy(() -> outer.splice(inner, "p", Map.of("x:0", "m:0")))
          .hasMessageContaining("splice input 'x:0' has shape (-1,) but 'm:0' has shape (2, 2)");
      assertThatThrownBy(() -> outer.splice(inner, "p", Map.of("x:1", "b:0")))
          .hasMessageContaining("node 'x' (Placeholder) has 1 output; there is no output 1");
      assertThatThrownBy(() -> outer.splice(inner, "p", Map.of("x:0", "b:3")))
          .hasMessageContaining("node 'b' (AddV2) has 1 outputs; there is no output 3");
    }
  }

  @Test
  void namesAreCheckedBeforeAnyNativeGraphIsNeeded() {
    ModelGraph outer = ModelGraph.of(front());
    ModelGraph inner = ModelGraph.of(affine());
    outer.close(); // a closed graph refuses native use: only checks in Java can still answer
    inner.close();
    assertThatThrownBy(() -> outer.splice(inner, "p", Map.of("xx:0", "b:0"))).hasMessageContaining("node 'xx' not found");
    assertThatThrownBy(() -> outer.splice(inner, "b", Map.of("x:0", "b:0"))).hasMessageContaining("collides with node 'b'");
  }

  @Test
  void functionLibrariesAreMergedAndAConflictingFunctionIsNamed() {
    FunctionDef id = identityFunction("f", "");
    GraphDef outerDef = front().toBuilder().setLibrary(FunctionDefLibrary.newBuilder().addFunction(id)).build();
    GraphDef same = affine().toBuilder().setLibrary(FunctionDefLibrary.newBuilder().addFunction(id)
        .addFunction(identityFunction("g", ""))).build();
    GraphDef different = affine().toBuilder()
        .setLibrary(FunctionDefLibrary.newBuilder().addFunction(identityFunction("f", "another body"))).build();
    try (ModelGraph outer = ModelGraph.of(outerDef);
        ModelGraph a = ModelGraph.of(same);
        ModelGraph b = ModelGraph.of(different);
        ModelGraph s = outer.splice(a, "p", Map.of("x:0", "b:0"))) {
      assertThat(s.graphDef().getLibrary().getFunctionList()).extracting(f -> f.getSignature().getName())
          .containsExactly("f", "g");
      assertThatThrownBy(() -> outer.splice(b, "p", Map.of("x:0", "b:0")))
          .hasMessageContaining("both graphs define function 'f', differently");
    }
  }

  private static FunctionDef identityFunction(String name, String description) {
    return FunctionDef.newBuilder()
        .setSignature(OpDef.newBuilder().setName(name).setDescription(description)
            .addInputArg(OpDef.ArgDef.newBuilder().setName("in").setType(DataType.DT_FLOAT))
            .addOutputArg(OpDef.ArgDef.newBuilder().setName("out").setType(DataType.DT_FLOAT)))
        .putRet("out", "in")
        .build();
  }
}
