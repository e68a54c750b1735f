package dev.tfkit.zoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tfkit.io.ShortCommand;
import java.io.InputStream;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * TensorFlow.js itself as the reference for tests: {@code @tensorflow/tfjs} at the parent pom's
 * {@code tfjs.version} (system property {@code tfkit.tfjs.version}) with its WASM backend at the same
 * version, installed with npm into the cache once, and the runner scripts of this package copied
 * beside its {@code node_modules}.
 */
final class TfjsNode {
  /** The folder holding {@code node_modules/@tensorflow/tfjs} and the runner scripts. */
  final Path dir;
  final String version;

  private TfjsNode(Path dir, String version) {
    this.dir = dir;
    this.version = version;
  }

  /** TF.js ready to run, or the calling test skipped with the reason (no version property, no node, no npm). */
  static TfjsNode installedOrSkip() throws Exception {
    String version = System.getProperty("tfkit.tfjs.version");
    assumeTrue(version != null, "skipped: no tfkit.tfjs.version system property (set by the parent pom's surefire config)");
    String npm = npm();
    var nodeVersion = ShortCommand.run(List.of("node", "--version"), 30);
    assumeTrue(nodeVersion.ok(), () -> "skipped: node cannot run (" + nodeVersion.output() + ")");
    var npmVersion = ShortCommand.run(List.of(npm, "--version"), 60);
    assumeTrue(npmVersion.ok(), () -> "skipped: npm cannot run (" + npmVersion.output() + ")");
    return new TfjsNode(install(npm, version), version);
  }

  /** The runner script {@code name} (a resource of this package), as a path beside TF.js. */
  Path script(String name) {
    return dir.resolve(name);
  }

  private static String npm() {
    String env = System.getenv("TFKIT_NPM");
    return env == null || env.isBlank() ? "npm" : env;
  }

  private static Path install(String npm, String version) throws Exception {
    // The WASM backend is released with TF.js at the same version: TF.js's own second opinion.
    Path dir = NpmPackages.cacheRoot().resolve("node").resolve("tfjs-cpu-wasm@" + version);
    if (!Files.isDirectory(dir.resolve("node_modules/@tensorflow/tfjs-backend-wasm"))) {
      Files.createDirectories(dir.getParent());
      Path work = Files.createTempDirectory(dir.getParent(), ".install-");
      var install = ShortCommand.run(List.of(npm, "install", "--prefix", work.toString(), "--no-audit", "--no-fund",
          "--no-save", "--silent", "@tensorflow/tfjs@" + version, "@tensorflow/tfjs-backend-wasm@" + version), 900);
      assertThat(install.ok()).as("npm install @tensorflow/tfjs@%s and its WASM backend: %s", version, install.output()).isTrue();
      try {
        Files.move(work, dir, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
        // another build installed it first
      }
    }
    for (String script : List.of("tfjs-common.js", "tfjs-stylize.js", "tfjs-run.js")) {
      try (InputStream s = TfjsNode.class.getResourceAsStream(script)) {
        Files.copy(s, dir.resolve(script), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    return dir;
  }
}
