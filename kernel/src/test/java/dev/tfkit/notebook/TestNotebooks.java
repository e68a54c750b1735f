package dev.tfkit.notebook;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tfkit.kernel.spec.KernelSpec;
import dev.tfkit.kernel.spec.KernelSpecs;
import dev.tfkit.notebook.document.NotebookDocument;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Builds small notebooks for tests, and finds the Debian tools some tests need. */
public final class TestNotebooks {
  private final ObjectNode root = NotebookDocument.MAPPER.createObjectNode();
  private final ArrayNode cells;

  TestNotebooks(String kernel, String language) {
    root.put("nbformat", 4);
    root.put("nbformat_minor", 5);
    ObjectNode ks = root.putObject("metadata").putObject("kernelspec");
    ks.put("name", kernel);
    ks.put("language", language);
    ks.put("display_name", kernel);
    cells = root.putArray("cells");
  }

  public static TestNotebooks java() {
    return new TestNotebooks("java", "java");
  }

  public static TestNotebooks python() {
    return new TestNotebooks("python3", "python");
  }

  public TestNotebooks code(String source, String... tags) {
    ObjectNode c = cells.addObject();
    c.put("cell_type", "code");
    c.put("id", "c" + cells.size());
    c.putNull("execution_count");
    ObjectNode md = c.putObject("metadata");
    if (tags.length > 0) {
      ArrayNode t = md.putArray("tags");
      for (String tag : tags) t.add(tag);
    }
    c.putArray("outputs");
    c.set("source", NotebookDocument.lines(source));
    return this;
  }

  public TestNotebooks markdown(String source) {
    ObjectNode c = cells.addObject();
    c.put("cell_type", "markdown");
    c.put("id", "m" + cells.size());
    c.putObject("metadata");
    c.set("source", NotebookDocument.lines(source));
    return this;
  }

  public NotebookDocument document() {
    return NotebookDocument.of(root, "test notebook");
  }

  public Path write(Path file) throws IOException {
    Files.writeString(file, root.toPrettyString());
    return file;
  }

  // ---- Debian tools (installed by .ci/run); tests that need them skip with a reason when missing.

  /** A python3 that can import {@code module} (Debian's /usr/bin/python3 first: pyenv shims lack its packages). */
  public static Optional<String> pythonWith(String module) {
    for (String py : List.of("/usr/bin/python3", "python3")) {
      if (run(List.of(py, "-c", "import " + module)) == 0) return Optional.of(py);
    }
    return Optional.empty();
  }

  /** Debian's chromium, if installed. */
  public static Optional<String> chromium() {
    for (String c : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser")) {
      if (Files.isExecutable(Path.of(c))) return Optional.of(c);
    }
    return Optional.empty();
  }

  /** Whether the kernelspec {@code name} is installed. */
  public static boolean hasKernel(String name) {
    try {
      return KernelSpec.installed().contains(name);
    } catch (IOException e) {
      return false;
    }
  }

  /** Runs a command; its exit code (-1 when it cannot start or runs over two minutes). */
  public static int run(List<String> cmd) {
    return runCapturing(cmd).exitCode();
  }

  public record Result(int exitCode, String output) {}

  public static Result runCapturing(List<String> cmd) {
    return runCapturing(cmd, Map.of());
  }

  /**
   * Runs {@code tfkit run-notebook ARGS} in a child JVM started with {@code jvmOptions} (headless,
   * the test class path) and extra environment variables; its exit code and output.
   */
  public static Result runNotebookCli(List<String> jvmOptions, Map<String, String> env, String... args) {
    List<String> cmd = new ArrayList<>(List.of(KernelSpecs.currentJava(), "-Djava.awt.headless=true"));
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of("-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
        "dev.tfkit.cli.TfkitCli", "run-notebook"));
    cmd.addAll(List.of(args));
    return runCapturing(cmd, env);
  }

  /** Runs a command with extra environment variables; its exit code and output. */
  public static Result runCapturing(List<String> cmd, Map<String, String> env) {
    try {
      Path log = Files.createTempFile("tfkit-test-", ".log");
      try {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          return new Result(-1, "timed out: " + cmd);
        }
        return new Result(p.exitValue(), Files.readString(log));
      } finally {
        Files.deleteIfExists(log);
      }
    } catch (IOException e) {
      return new Result(-1, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(-1, e.toString());
    }
  }

  /** nbformat's own validation of a notebook file, through Debian's python3-nbformat. */
  public static Optional<String> nbformatErrors(Path notebook) {
    String py = pythonWith("nbformat").orElse(null);
    if (py == null) throw new IllegalStateException("python3-nbformat is not installed");
    Result r = runCapturing(new ArrayList<>(List.of(py, "-c",
        "import json, sys, warnings, nbformat\n"
            + "warnings.simplefilter('error')\n"
            + "nb = json.load(open(sys.argv[1], encoding='utf-8'))\n"
            + "nbformat.validate(nb, version=4)\n"
            + "print('valid')\n",
        notebook.toString())));
    return r.exitCode() == 0 && r.output().contains("valid") ? Optional.empty() : Optional.of(r.output());
  }
}
