package dev.tfkit.notebook.parameters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JavaParametersTest {
  private static final String CELL = String.join("\n",
      "int epochs = 10;",
      "double learningRate = 1e-3; // the step",
      "long seed = 42L;",
      "boolean verbose = false;",
      "String model = \"half_plus_two\";",
      "List<Integer> sizes = List.of(1, 2);",
      "float scale = 0.5f;",
      "/* block comment int ignored = 1; */",
      "var name = \"x\";",
      "var count = 3;",
      "List<String> tags = List.of(\"a\");",
      "Path dir = Path.of(\"/tmp\");",
      "final int[] shape = {1, 2};");

  private static String inject(Object... nameValue) {
    Map<String, Object> values = new LinkedHashMap<>();
    for (int i = 0; i < nameValue.length; i += 2) values.put((String) nameValue[i], nameValue[i + 1]);
    return new JavaParameters().inject(CELL, values).source();
  }

  @Test
  void typeFollowsTheDeclarationInTheParametersCell() {
    assertThat(inject("epochs", "20")).isEqualTo("// Parameters\nint epochs = 20;\n");
    assertThat(inject("learningRate", "3")).contains("double learningRate = 3.0;");
    assertThat(inject("seed", "7")).contains("long seed = 7L;");
    assertThat(inject("verbose", "TRUE")).contains("boolean verbose = true;");
    assertThat(inject("model", "007")).contains("String model = \"007\";");
    assertThat(inject("scale", "2")).contains("float scale = 2.0f;");
    assertThat(inject("sizes", "[3, 4, 5]")).contains("List<Integer> sizes = List.of(3, 4, 5);");
    assertThat(inject("sizes", "6,7")).contains("List<Integer> sizes = List.of(6, 7);");
    assertThat(inject("tags", "[x, \"y z\"]")).contains("List<String> tags = List.of(\"x\", \"y z\");");
    assertThat(inject("shape", "[3,4]")).contains("int[] shape = new int[] {3, 4};");
  }

  @Test
  void varTakesTheTypeOfItsDefault() {
    assertThat(inject("name", "12")).contains("var name = \"12\";");
    assertThat(inject("count", "12")).contains("var count = 12;");
    assertThatThrownBy(() -> inject("count", "1.5"))
        .hasMessageContaining("parameter 'count'").hasMessageContaining("expected int");
  }

  @Test
  void typedValuesFromAFileAreConvertedToo() {
    assertThat(inject("epochs", 30, "learningRate", 0.25, "sizes", List.of(8, 9), "model", 5))
        .isEqualTo("// Parameters\nint epochs = 30;\ndouble learningRate = 0.25;\n"
            + "List<Integer> sizes = List.of(8, 9);\nString model = \"5\";\n");
    assertThat(inject("epochs", 4.0)).contains("int epochs = 4;");
  }

  @Test
  void undeclaredParametersAreInferredFromTheValue() {
    assertThat(inject("batch", "64")).contains("int batch = 64;");
    assertThat(inject("big", "12345678901")).contains("long big = 12345678901L;");
    assertThat(inject("rate", "0.5")).contains("double rate = 0.5;");
    assertThat(inject("flag", "false")).contains("boolean flag = false;");
    assertThat(inject("label", "hello world")).contains("String label = \"hello world\";");
    assertThat(inject("dims", "[1, 2.5]")).contains("List<Double> dims = List.of(1.0, 2.5);");
    assertThat(inject("names", List.of("a", "b"))).contains("List<String> names = List.of(\"a\", \"b\");");
  }

  @Test
  void valuesThatCannotBeOfTheTypeAreRefusedNamingParameterAndType() {
    assertThatThrownBy(() -> inject("epochs", "ten"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("parameter 'epochs': expected int, got 'ten'");
    assertThatThrownBy(() -> inject("epochs", "3000000000"))
        .hasMessage("parameter 'epochs': expected int, got '3000000000'");
    assertThatThrownBy(() -> inject("epochs", 2.5)).hasMessage("parameter 'epochs': expected int, got 2.5");
    assertThatThrownBy(() -> inject("verbose", "yes"))
        .hasMessage("parameter 'verbose': expected boolean, got 'yes'");
    assertThatThrownBy(() -> inject("learningRate", "fast"))
        .hasMessage("parameter 'learningRate': expected double, got 'fast'");
    assertThatThrownBy(() -> inject("sizes", "[1, x]"))
        .hasMessage("parameter 'sizes': expected List<Integer>, got '[1, x]'");
    assertThatThrownBy(() -> inject("model", List.of(1)))
        .hasMessageContaining("parameter 'model': expected String");
    assertThatThrownBy(() -> inject("dir", "/data"))
        .hasMessageContaining("parameter 'dir' is declared as Path");
    assertThatThrownBy(() -> inject("epochs", null)).hasMessageContaining("parameter 'epochs': expected int");
    assertThatThrownBy(() -> inject("cfg", Map.of("a", 1))).hasMessageContaining("parameter 'cfg'");
  }

  @Test
  void stringsAreEscapedSoTheyCannotBreakOutOfTheLiteral() {
    String evil = "a\"; System.exit(1); String s = \"\\u0022\n";
    String src = inject("model", evil);
    assertThat(src).contains("String model = \"a\\\"; System.exit(1); String s = \\\"\\\\u0022\\n\";");
  }

  @Test
  void declarationsIgnoreCommentsAndStatementsThatAreNotDeclarations() {
    var d = JavaParameters.declarations(
        "// int commented = 1;\nint a = 1; System.out.println(a);\nString s = \"x;y\"; double b;");
    assertThat(d.keySet()).containsExactly("a", "s", "b");
    assertThat(d.get("s").defaultExpr()).isEqualTo("\"x;y\"");
    assertThat(d.get("b").type().kind()).isEqualTo(JavaParameters.Kind.DOUBLE);
  }
}
