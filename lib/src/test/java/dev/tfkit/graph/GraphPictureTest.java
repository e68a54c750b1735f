package dev.tfkit.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tfkit.io.ShortCommand;
import dev.tfkit.zoo.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pictures of the graph around a node: which nodes, how they are marked, and Graphviz's SVG. */
class GraphPictureTest {
  // half_plus_two, TF1 checkpoint: y = Add(Mul(a, x), b)
  static ModelGraph halfPlusTwo() {
    return ModelGraph.load(Fixtures.tfServing("bad_half_plus_two/00000123/export.meta")).freeze();
  }

  @Test
  void oneHopAroundMulHoldsItsInputsAndItsConsumerOnly() {
    try (ModelGraph g = halfPlusTwo()) {
      String dot = GraphPicture.dot(g.graphDef(), List.of("Mul:0"), 1);
      assertThat(dot).contains("label=\"Mul\\nMul\", fillcolor=\"#ffd54f\""); // the centre is filled
      assertThat(dot).contains("label=\"Placeholder\\nPlaceholder\"").contains("label=\"Add\\nAdd\"");
      // b is two hops away (through Add): not drawn; Add has an input outside the picture: dashed.
      assertThat(dot).doesNotContain("label=\"b\\n");
      assertThat(dot).containsPattern("label=\"Add\\\\nAdd\"[^\\n]*dashed");
      assertThat(dot).doesNotContainPattern("label=\"Mul\\\\nMul\"[^\\n]*dashed");
      assertThat(dot.lines().filter(l -> l.contains("->")).count()).isEqualTo(3); // a, x -> Mul -> Add
    }
  }

  @Test
  void anUnknownCentreIsRefusedWithSuggestions() {
    try (ModelGraph g = halfPlusTwo()) {
      assertThatThrownBy(() -> GraphPicture.dot(g.graphDef(), List.of("Mull"), 2))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("node 'Mull' not found; did you mean 'Mul'");
    }
  }

  @Test
  void graphvizDrawsItAsSvgAndShowWritesIt(@TempDir Path tmp) throws Exception {
    var dot = ShortCommand.run(List.of("dot", "-V"), 30);
    assumeTrue(dot.ok(), () -> "skipped: Graphviz dot cannot run (" + dot.output() + "); .ci/run installs graphviz");
    try (ModelGraph g = halfPlusTwo()) {
      GraphPicture p = g.pictureAround(2, "Mul");
      assertThat(p.svg()).startsWith("<svg").contains("<title>n0</title>").contains(">Mul</text>").contains(">Add</text>")
          .endsWith("</svg>");
      Path file = tmp.resolve("pics/half.svg");
      p.writeSvg(file);
      assertThat(Files.readString(file)).isEqualTo(p.svg());
    }
  }
}
