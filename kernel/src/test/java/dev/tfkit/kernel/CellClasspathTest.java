package dev.tfkit.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The pure parts of {@link CellClasspath}: naming jars, and javac's trimmed class path. */
class CellClasspathTest {
  @Test
  void artifactAndVersionComeFromTheMavenRepositoryLayoutElseTheFileName() {
    assertThat(CellClasspath.artifactAndVersion(Path.of("/r/org/knowm/xchart/xchart/3.5.2/xchart-3.5.2.jar")))
        .containsExactly("xchart", "3.5.2");
    assertThat(CellClasspath.artifactAndVersion(Path.of("/r/com/google/guava/guava/32.0.1-jre/guava-32.0.1-jre.jar")))
        .containsExactly("guava", "32.0.1-jre");
    assertThat(CellClasspath.artifactAndVersion(Path.of("/somewhere/libs/tablesaw-core-0.43.1.jar")))
        .containsExactly("tablesaw-core", "0.43.1");
    assertThat(CellClasspath.artifactAndVersion(Path.of("/somewhere/mine.jar"))).containsExactly(null, null);
  }

  @Test
  void javacsClassPathDropsTheKernelsInternalJarsButNeverTheUsers() {
    String gson = "/r/com/google/code/gson/gson/2.13.2/gson-2.13.2.jar";
    String xchart = "/r/org/knowm/xchart/xchart/3.8.8/xchart-3.8.8.jar";
    String nativeJar = "/r/org/tensorflow/tensorflow-core-native/1.1.0/tensorflow-core-native-1.1.0-linux-x86_64.jar";
    String classes = "/build/lib/target/classes";
    String kernel = String.join(":", gson, xchart, nativeJar, classes);
    assertThat(CellClasspath.compileClasspath(kernel, kernel)).isEqualTo(xchart + ":" + classes);
    // The user's own gson (another file) stays, as does a user's jar the kernel does not have.
    String usersGson = "/home/u/.m2/repository/com/google/code/gson/gson/2.8.5/gson-2.8.5.jar";
    assertThat(CellClasspath.compileClasspath(kernel + ":" + usersGson + ":/tmp/x.jar", kernel))
        .isEqualTo(xchart + ":" + classes + ":" + usersGson + ":/tmp/x.jar");
  }

  @Test
  void theNoteNamesBothVersionsAndWhatMayNotWork() {
    CellClasspath.Library xchart = CellClasspath.LIBRARIES.get(0);
    assertThat(CellClasspath.note(xchart, Path.of("/r/org/knowm/xchart/xchart/3.5.2/xchart-3.5.2.jar"),
            Path.of("/k/org/knowm/xchart/xchart/3.8.8/xchart-3.8.8.jar")))
        .isEqualTo("xchart 3.5.2 replaces tfkit's 3.8.8 for your code: tfkit's chart rendering of XYChart,"
            + " CategoryChart and XChart's other charts may not work");
  }
}
