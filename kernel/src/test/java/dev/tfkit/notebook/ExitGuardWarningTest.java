package dev.tfkit.notebook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfkit.kernel.JavaEvaluator;
import dev.tfkit.kernel.spec.KernelSpecs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code System.exit} guard never puts Java's security-manager warning ("A terminally
 * deprecated method in java.lang.System has been called") on the user's terminal or in a notebook:
 * {@code run-notebook}'s in-process engine in a JVM started like {@code ./tfkit} starts it (guard
 * on, silent), and in a JVM started without those options (guard skipped, silent).
 */
class ExitGuardWarningTest {
  private static final String WARNING = "terminally deprecated";
  @TempDir Path tmp;

  private TestNotebooks.Result runNotebook(List<String> jvmOptions, Path in, Path out) {
    return TestNotebooks.runNotebookCli(jvmOptions, Map.of(), in.toString(), out.toString());
  }

  @Test
  void theLauncherStartsJavaWithTheGuardsOptions() throws Exception {
    Path launcher = Path.of(System.getProperty("tfkit.repo.root", "..")).resolve("tfkit");
    String script = Files.readString(launcher);
    for (String option : JavaEvaluator.EXIT_GUARD_JVM_OPTIONS) assertThat(script).contains(option);
    assertThat(KernelSpecs.argv("java", "/x.jar", List.of())).containsAll(JavaEvaluator.EXIT_GUARD_JVM_OPTIONS);
  }

  @Test
  void withTheLaunchersOptionsTheGuardWorksAndNothingWarns() throws Exception {
    Path in = TestNotebooks.java()
        .code("System.err.println(\"cell err\");\n1 + 1")
        .code("System.exit(3);")
        .write(tmp.resolve("exit.ipynb"));
    Path out = tmp.resolve("exit.out.ipynb");
    TestNotebooks.Result r = runNotebook(JavaEvaluator.EXIT_GUARD_JVM_OPTIONS, in, out);
    // The cell's System.exit was refused (the JVM lived to write the notebook and exit 1).
    assertThat(r.exitCode()).as(r.output()).isEqualTo(1);
    assertThat(r.output()).contains("java.lang.SecurityException: System.exit(3)").doesNotContain(WARNING);
    assertThat(Files.readString(out)).contains("cell err").contains("SecurityException").doesNotContain(WARNING);
  }

  @Test
  void withoutThemTheGuardIsSkippedQuietly() throws Exception {
    Path in = TestNotebooks.java().code("System.err.println(\"cell err\");\n6 * 7").write(tmp.resolve("plain.ipynb"));
    Path out = tmp.resolve("plain.out.ipynb");
    TestNotebooks.Result r = runNotebook(List.of(), in, out);
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.output()).doesNotContain(WARNING).doesNotContain("WARNING");
    assertThat(Files.readString(out)).contains("cell err").contains("42").doesNotContain(WARNING);
  }

  @Test
  void thisTestJvmHasTheOptionsSoTheGuardIsOn() {
    try (JavaEvaluator java = JavaEvaluator.builder().build()) {
      assertThat(java.exitGuarded()).isTrue();
      assertThat(java.eval("System.exit(2);").error().orElseThrow().ename()).isEqualTo("java.lang.SecurityException");
    }
  }
}
