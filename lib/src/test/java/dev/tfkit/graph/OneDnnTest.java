package dev.tfkit.graph;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfkit.zoo.FaceDetector;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * With oneDNN's graph rewrites on (TensorFlow's default on x86), an imported TF.js graph must not
 * crash the process: runs {@link OneDnnProbe} in a child JVM, since a native crash cannot be caught.
 */
class OneDnnTest {

  @Test
  void blazeFaceBehindAResizeRunsWithOneDnnOn() throws Exception {
    FaceDetector.modelFile(); // fetch the package here, not in the child
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-Xmx1g", "-cp", System.getProperty("java.class.path"),
        OneDnnProbe.class.getName()).redirectErrorStream(true);
    pb.environment().put("TF_ENABLE_ONEDNN_OPTS", "1");
    pb.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
    String text = new String(out, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(text).isZero();
    assertThat(text).contains("probe ok");
  }
}
