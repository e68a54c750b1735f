package dev.tfkit.kernel.magic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Parsing of {@code %%} cell magics and of {@code %%loadFromPOM}'s POM fragments. */
class CellMagicTest {
  @Test
  void nameArgumentsAndBodyWithItsPositionInTheCell() {
    String cell = "%%loadFromPOM compile 'runtime'\n<dependency/>\nmore";
    CellMagic m = CellMagic.parse(cell).orElseThrow();
    assertThat(m.name()).isEqualTo("loadFromPOM");
    assertThat(m.args()).containsExactly("compile", "runtime");
    assertThat(m.body()).isEqualTo("<dependency/>\nmore");
    assertThat(cell.substring(m.bodyStart())).isEqualTo(m.body());
    assertThat(m.bodyFirstLine()).isEqualTo(2);
  }

  @Test
  void leadingBlankLinesAreSkippedAndCountedInLineNumbers() {
    String cell = "\n  \n%%time\nint x = 1;";
    CellMagic m = CellMagic.parse(cell).orElseThrow();
    assertThat(m.name()).isEqualTo("time");
    assertThat(m.args()).isEmpty();
    assertThat(m.body()).isEqualTo("int x = 1;");
    assertThat(m.bodyFirstLine()).isEqualTo(4);
  }

  @Test
  void aMagicWithoutBodyHasAnEmptyOne() {
    CellMagic m = CellMagic.parse("%%html").orElseThrow();
    assertThat(m.body()).isEmpty();
    assertThat(m.bodyStart()).isEqualTo(6);
  }

  @Test
  void percentPercentAloneIsRefusedListingTheKnownMagics() {
    assertThatThrownBy(() -> CellMagic.parse("%%\nbody")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs a cell magic name").hasMessageContaining("%%time")
        .hasMessageContaining("%%loadFromPOM").hasMessageContaining("%%html").hasMessageContaining("%%markdown");
    assertThatThrownBy(() -> CellMagic.parse("  %%   \n")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void lineMagicsAndJavaAreNotCellMagics() {
    assertThat(CellMagic.parse("%maven a:b:1\n1 + 1")).isEmpty();
    assertThat(CellMagic.parse("int x = 1;\n%%time\n")).isEmpty();
    assertThat(CellMagic.parse("")).isEmpty();
    assertThat(CellMagic.parse("\n\n")).isEmpty();
    // a line magic inside a cell magic's body stays in the body
    assertThat(CellMagic.parse("%%time\n%classpath x.jar\n1").orElseThrow().body()).isEqualTo("%classpath x.jar\n1");
  }

  @Test
  void looseDependenciesAndRepositoriesAsCopiedFromAReadme() {
    PomFragment pom = PomFragment.parse("""
        <repository>
          <id>snapshots</id>
          <url>https://repo.example.org/snapshots/</url>
        </repository>

        <dependency>
          <groupId>org.example</groupId>
          <artifactId>hello</artifactId>
          <version>1.0</version>
        </dependency>
        <dependencies>
          <dependency><groupId>org.example</groupId><artifactId>natives</artifactId><version>2</version>
            <classifier>linux</classifier><scope>runtime</scope>
            <exclusions><exclusion><groupId>x</groupId><artifactId>y</artifactId></exclusion></exclusions>
          </dependency>
        </dependencies>
        """);
    assertThat(pom.repositories()).containsEntry("snapshots", "https://repo.example.org/snapshots/");
    assertThat(pom.dependencies()).extracting(PomFragment.Dependency::coordinates)
        .containsExactly("org.example:hello:jar:1.0", "org.example:natives:jar:linux:2");
    assertThat(pom.dependencies().get(0).scope()).isEqualTo("compile");
    assertThat(pom.dependencies().get(1).scope()).isEqualTo("runtime");
    assertThat(pom.dependencies().get(1).exclusions()).containsExactly("x:y");
  }

  @Test
  void aWholeProjectWithPropertiesButNotItsManagedOrPluginDependencies() {
    PomFragment pom = PomFragment.parse("""
        <?xml version="1.0" encoding="UTF-8"?>
        <project>
          <modelVersion>4.0.0</modelVersion>
          <groupId>me</groupId><artifactId>nb</artifactId><version>3</version>
          <properties><hello.version>1.5</hello.version></properties>
          <dependencyManagement><dependencies>
            <dependency><groupId>managed</groupId><artifactId>m</artifactId><version>1</version></dependency>
          </dependencies></dependencyManagement>
          <dependencies>
            <dependency><groupId>org.example</groupId><artifactId>hello</artifactId><version>${hello.version}</version></dependency>
            <dependency><groupId>me</groupId><artifactId>util</artifactId><version>${project.version}</version><scope>test</scope></dependency>
          </dependencies>
        </project>
        """);
    assertThat(pom.dependencies()).extracting(PomFragment.Dependency::coordinates)
        .containsExactly("org.example:hello:jar:1.5", "me:util:jar:3");
    assertThat(pom.dependencies().get(1).scope()).isEqualTo("test");
  }

  @Test
  void badFragmentsNameWhatIsWrong() {
    assertThatThrownBy(() -> PomFragment.parse("<dependency><groupId>g</groupId><artifactId>a</artifactId></dependency>"))
        .hasMessageContaining("needs groupId, artifactId and version").hasMessageContaining("g:a:?");
    assertThatThrownBy(() -> PomFragment.parse("   ")).hasMessageContaining("needs a POM");
    assertThatThrownBy(() -> PomFragment.parse("<dependency>")).hasMessageContaining("not well-formed");
    assertThatThrownBy(() -> PomFragment.parse("<project><dependencies/></project>")).hasMessageContaining("no <dependency>");
    assertThatThrownBy(() -> PomFragment.parse(
        "<dependency><groupId>g</groupId><artifactId>a</artifactId><version>${v}</version></dependency>"))
        .hasMessageContaining("${v}");
    assertThat(List.copyOf(CellMagic.NAMES)).containsExactly("html", "loadFromPOM", "markdown", "time");
  }

  @Test
  void severalLooseElementsParseWithoutAFatalErrorLineOnStderr() {
    PrintStream saved = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true));
    PomFragment pom;
    try {
      pom = PomFragment.parse("<dependency><groupId>g</groupId><artifactId>a</artifactId><version>1</version></dependency>\n"
          + "<dependency><groupId>g</groupId><artifactId>b</artifactId><version>1</version></dependency>");
    } finally {
      System.setErr(saved);
    }
    assertThat(pom.dependencies()).hasSize(2);
    // The XML parser's default error handler printed "[Fatal Error] :2:2: ..." here.
    assertThat(err.toString()).isEmpty();
  }
}
