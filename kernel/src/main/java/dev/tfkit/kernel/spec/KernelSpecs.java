package dev.tfkit.kernel.spec;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tfkit.io.TempSiblings;
import dev.tfkit.kernel.JavaEvaluator;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;

/**
 * Jupyter kernelspecs for the tfkit kernel: writes {@code kernels/NAME/kernel.json} (the java
 * command line with the classpath) and logos where {@code jupyter} looks, lists and removes them —
 * without Python.
 */
public final class KernelSpecs {
  /** The kernel's main class. */
  private static final ObjectMapper JSON = new ObjectMapper();
  public static final String MAIN_CLASS = "dev.tfkit.kernel.TfkitKernel";
  /** IJava's kernel name, so notebooks saved with IJava open with this kernel. */
  public static final String DEFAULT_NAME = "java";
  public static final String DEFAULT_DISPLAY_NAME = "Java (tfkit)";

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]+");

  private KernelSpecs() {}


  /** The command Jupyter runs: java, JVM options, classpath, main class, {connection_file}. */
  public static List<String> argv(String java, String classpath, List<String> javaOptions) {
    List<String> argv = new ArrayList<>();
    argv.add(java);
    argv.add("-Djava.awt.headless=true");
    // Lets the kernel answer System.exit in a cell with an error (a security manager), without
    // Java's deprecation warning in Jupyter's log.
    argv.addAll(JavaEvaluator.EXIT_GUARD_JVM_OPTIONS);
    argv.addAll(javaOptions);
    argv.add("-cp");
    argv.add(classpath);
    argv.add(MAIN_CLASS);
    argv.add("{connection_file}");
    return argv;
  }

  /**
   * Where a kernel command's class path is: the index of the value after {@code -cp} ({@code
   * -classpath}, {@code --class-path}), or -1 when it has none.
   */
  public static int classpathIndex(List<String> argv) {
    for (int i = 0; i + 1 < argv.size(); i++) {
      String a = argv.get(i);
      if (a.equals("-cp") || a.equals("-classpath") || a.equals("--class-path")) return i + 1;
    }
    return -1;
  }

  /** The java executable running now. */
  public static String currentJava() {
    Path p = Path.of(System.getProperty("java.home"), "bin", isWindows() ? "java.exe" : "java");
    return p.toString();
  }

  /** tfkit's classpath as absolute paths: the launcher's {@code tfkit.classpath}, else this JVM's. */
  public static String currentClasspath() {
    String cp = System.getProperty("tfkit.classpath", System.getProperty("java.class.path"));
    StringBuilder out = new StringBuilder();
    for (String p : cp.split(File.pathSeparator)) {
      if (p.isEmpty()) continue;
      if (out.length() > 0) out.append(File.pathSeparator);
      out.append(Path.of(p).toAbsolutePath().normalize());
    }
    return out.toString();
  }

  /** Writes the kernelspec {@code kernelsDir/name} (replacing one there) and returns its folder. */
  public static Path install(Path kernelsDir, String name, String displayName, List<String> argv, Map<String, String> env)
      throws IOException {
    return install(kernelsDir, name, displayName, argv, env, Map.of());
  }

  /**
   * The same, with {@code files} (name in the kernelspec folder → a file to move there, e.g. a
   * {@link ClassDataArchive}) in the folder when it appears.
   */
  public static Path install(Path kernelsDir, String name, String displayName, List<String> argv, Map<String, String> env,
      Map<String, Path> files) throws IOException {
    checkName(name);
    ObjectNode spec = JSON.createObjectNode();
    ArrayNode arr = spec.putArray("argv");
    argv.forEach(arr::add);
    spec.put("display_name", displayName);
    spec.put("language", "java");
    // Interrupts come as interrupt_request messages; the kernel handles SIGINT too.
    spec.put("interrupt_mode", "message");
    ObjectNode envJson = spec.putObject("env");
    env.forEach(envJson::put);
    spec.putObject("metadata").put("tfkit", true);

    Files.createDirectories(kernelsDir);
    Path target = kernelsDir.resolve(name);
    // The temp-sibling scheme of every tfkit write: a killed install's leftovers are removed here.
    TempSiblings.removeStaleOf(target);
    Path tmp = Files.createDirectory(TempSiblings.tempFor(target));
    try {
      Files.writeString(tmp.resolve("kernel.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(spec) + "\n");
      ImageIO.write(logo(32), "png", tmp.resolve("logo-32x32.png").toFile());
      ImageIO.write(logo(64), "png", tmp.resolve("logo-64x64.png").toFile());
      for (Map.Entry<String, Path> f : files.entrySet()) {
        Files.move(f.getValue(), tmp.resolve(f.getKey()), StandardCopyOption.REPLACE_EXISTING);
      }
      // Replace atomically: the old spec moved aside, the new one in, the old one deleted.
      TempSiblings.swapIn(tmp, target, TempSiblings.IfPresent.REPLACE);
    } finally {
      TempSiblings.deleteTree(tmp);
    }
    return target;
  }

  /** Removes {@code kernelsDir/name}; false when it was not there. */
  public static boolean uninstall(Path kernelsDir, String name) throws IOException {
    checkName(name);
    Path dir = kernelsDir.resolve(name);
    if (!Files.isRegularFile(dir.resolve("kernel.json"))) return false;
    if (!TempSiblings.deleteTree(dir)) throw new IOException("cannot delete all of " + dir);
    return true;
  }

  /** Kernelspecs in every folder Jupyter searches, first match of a name wins (like jupyter). */
  public static List<KernelSpec> list(Map<String, String> env) throws IOException {
    List<KernelSpec> out = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    for (Path dir : searchPath(env)) {
      if (!Files.isDirectory(dir)) continue;
      try (var s = Files.list(dir)) {
        for (Path k : s.sorted().toList()) {
          String name = k.getFileName().toString();
          if (!Files.isRegularFile(k.resolve("kernel.json")) || name.startsWith(".") || !seen.add(name)) continue;
          try {
            out.add(KernelSpec.read(k));
          } catch (IllegalArgumentException unreadable) {
            out.add(new KernelSpec(name, k, List.of(), name + " (unreadable kernel.json)", "", "signal", Map.of(), false));
          }
        }
      }
    }
    return out;
  }

  /** The kernels folders Jupyter searches, in its order: JUPYTER_PATH, user data, system. */
  public static List<Path> searchPath(Map<String, String> env) {
    List<Path> dirs = new ArrayList<>();
    String jp = env.get("JUPYTER_PATH");
    if (jp != null) {
      for (String p : jp.split(File.pathSeparator)) if (!p.isBlank()) dirs.add(Path.of(p, "kernels"));
    }
    dirs.add(userDataDir(env).resolve("kernels"));
    for (String prefix : new String[] {env.get("CONDA_PREFIX"), env.get("VIRTUAL_ENV")}) {
      if (prefix != null && !prefix.isBlank()) dirs.add(Path.of(prefix, "share", "jupyter", "kernels"));
    }
    if (isWindows()) {
      String pd = env.getOrDefault("PROGRAMDATA", "C:\\ProgramData");
      dirs.add(Path.of(pd, "jupyter", "kernels"));
    } else {
      dirs.add(Path.of("/usr/local/share/jupyter/kernels"));
      dirs.add(Path.of("/usr/share/jupyter/kernels"));
    }
    return dirs;
  }

  /** {@code --user}: the user's Jupyter data folder's kernels (JUPYTER_DATA_DIR is honoured). */
  public static Path userKernelsDir(Map<String, String> env) {
    return userDataDir(env).resolve("kernels");
  }

  /** {@code --prefix DIR}: DIR/share/jupyter/kernels. */
  public static Path prefixKernelsDir(Path prefix) {
    return prefix.resolve("share").resolve("jupyter").resolve("kernels");
  }

  /**
   * {@code --sys-prefix}: the active Python environment's prefix (VIRTUAL_ENV or CONDA_PREFIX), or
   * the installation holding the {@code jupyter} command on PATH.
   */
  public static Path sysPrefixKernelsDir(Map<String, String> env) {
    for (String v : new String[] {"VIRTUAL_ENV", "CONDA_PREFIX"}) {
      String p = env.get(v);
      if (p != null && !p.isBlank()) return prefixKernelsDir(Path.of(p));
    }
    String path = env.getOrDefault("PATH", "");
    for (String d : path.split(File.pathSeparator)) {
      if (d.isBlank()) continue;
      Path j = Path.of(d, isWindows() ? "jupyter.exe" : "jupyter");
      if (Files.isExecutable(j)) {
        Path bin = j.toAbsolutePath().getParent();
        if (bin != null && bin.getParent() != null) return prefixKernelsDir(bin.getParent());
      }
    }
    throw new IllegalArgumentException(
        "--sys-prefix: no Python environment found (VIRTUAL_ENV, CONDA_PREFIX) and no 'jupyter' on PATH; use --prefix DIR or --user");
  }

  static Path userDataDir(Map<String, String> env) {
    String dataDir = env.get("JUPYTER_DATA_DIR");
    if (dataDir != null && !dataDir.isBlank()) return Path.of(dataDir);
    Path home = Path.of(System.getProperty("user.home"));
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    if (os.contains("mac")) return home.resolve("Library").resolve("Jupyter");
    if (isWindows()) return Path.of(env.getOrDefault("APPDATA", home.toString()), "jupyter");
    String xdg = env.get("XDG_DATA_HOME");
    return (xdg != null && !xdg.isBlank() ? Path.of(xdg) : home.resolve(".local").resolve("share")).resolve("jupyter");
  }

  private static void checkName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "kernel name '" + name + "' is not valid: use letters, digits, '.', '_' or '-'");
    }
  }

  private static boolean isWindows() {
    return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");
  }

  /** A small logo: "tf" on an orange rounded square with a coffee-brown border. */
  static BufferedImage logo(int size) {
    BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_ARGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    int arc = size / 4;
    g.setColor(new Color(0xFF, 0x8F, 0x00));
    g.fillRoundRect(1, 1, size - 2, size - 2, arc, arc);
    g.setColor(new Color(0x5D, 0x40, 0x37));
    g.setStroke(new BasicStroke(Math.max(1f, size / 16f)));
    g.drawRoundRect(1, 1, size - 3, size - 3, arc, arc);
    g.setColor(Color.WHITE);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, (int) (size * 0.55)));
    var fm = g.getFontMetrics();
    String text = "tf";
    g.drawString(text, (size - fm.stringWidth(text)) / 2, (size - fm.getHeight()) / 2 + fm.getAscent());
    g.dispose();
    return img;
  }

}
