package dev.tfkit.kernel.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tfkit.kernel.spec.KernelSpecs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An installed Jupyter kernelspec ({@code kernels/NAME/kernel.json}): how to start the kernel, its
 * language, how it wants to be interrupted, and whether it is tfkit's ({@code tfkit}). {@link
 * KernelSpecs} installs and lists them. Found the way {@code jupyter kernelspec list} finds
 * them, without Python.
 */
public record KernelSpec(
    String name, Path dir, List<String> argv, String displayName, String language,
    String interruptMode, Map<String, String> env, boolean tfkit) {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** Reads {@code dir/kernel.json}; the message names the file and the field that is wrong. */
  public static KernelSpec read(Path dir) throws IOException {
    Path file = dir.resolve("kernel.json");
    JsonNode json;
    try {
      json = MAPPER.readTree(file.toFile());
    } catch (IOException e) {
      throw new IllegalArgumentException("kernelspec " + file + " is not valid JSON: " + e.getMessage(), e);
    }
    List<String> argv = new ArrayList<>();
    json.path("argv").forEach(a -> argv.add(a.asText()));
    if (argv.isEmpty()) {
      throw new IllegalArgumentException("kernelspec " + file + " has no 'argv' to start the kernel with");
    }
    Map<String, String> env = new LinkedHashMap<>();
    json.path("env").fields().forEachRemaining(e -> env.put(e.getKey(), expand(e.getValue().asText())));
    return new KernelSpec(
        dir.getFileName().toString(), dir, List.copyOf(argv),
        json.path("display_name").asText(dir.getFileName().toString()),
        json.path("language").asText("").toLowerCase(Locale.ROOT),
        json.path("interrupt_mode").asText("signal"), Map.copyOf(env),
        json.toString().contains(KernelSpecs.MAIN_CLASS));
  }

  /** {@code ${NAME}} in an env value replaced by this process's variable, as jupyter_client does. */
  static String expand(String value) {
    Matcher m = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}").matcher(value);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      String v = System.getenv(m.group(1));
      m.appendReplacement(sb, Matcher.quoteReplacement(v == null ? m.group() : v));
    }
    return m.appendTail(sb).toString();
  }

  /** The {@code kernels} folders searched, first match wins (the kernel's own installer's order). */
  public static List<Path> searchPath() {
    return KernelSpecs.searchPath(System.getenv());
  }

  /** The kernelspec called {@code name}; the message lists those installed when it is missing. */
  public static KernelSpec find(String name) throws IOException {
    for (Path kernels : searchPath()) {
      Path dir = kernels.resolve(name);
      if (Files.isRegularFile(dir.resolve("kernel.json"))) return read(dir);
    }
    throw new IllegalArgumentException(
        "no Jupyter kernelspec named '" + name + "' (installed: " + installed() + "; searched "
            + searchPath() + ")");
  }

  /** The names of the installed kernelspecs. */
  public static TreeSet<String> installed() throws IOException {
    TreeSet<String> names = new TreeSet<>();
    for (Path kernels : searchPath()) {
      if (!Files.isDirectory(kernels)) continue;
      try (var s = Files.list(kernels)) {
        s.filter(d -> Files.isRegularFile(d.resolve("kernel.json")))
            .forEach(d -> names.add(d.getFileName().toString()));
      }
    }
    return names;
  }

  /** The command line with {@code {connection_file}} and {@code {resource_dir}} filled in. */
  public List<String> command(Path connectionFile) {
    List<String> out = new ArrayList<>();
    for (String a : argv) {
      out.add(a.replace("{connection_file}", connectionFile.toString())
          .replace("{resource_dir}", dir.toString()));
    }
    return out;
  }
}
