package dev.tfkit.kernel.magic;

import java.io.File;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * IJava's line magics: {@code %classpath} / {@code %jars} (globs), {@code %maven g:a:v} (alias
 * {@code %addMavenDependency}), {@code %mavenRepo id url}, {@code %loadFromPOM pom.xml [scope...]},
 * {@code %load file}, {@code %lsmagic}. A magic is a line starting with {@code %}
 * and runs in order with the cell's Java code.
 */
public final class LineMagics {
  /** What the magics need from the evaluator. */
  public interface Host {
    void addToClasspath(List<Path> entries);

    void evalFile(Path file) throws IOException;

    void print(String text);

    List<String> classpath();
  }

  private final Host host;
  private final MavenResolver maven;

  public LineMagics(Host host, MavenResolver maven) {
    this.host = host;
    this.maven = maven;
  }

  public Set<String> names() {
    return new TreeSet<>(List.of("addMavenDependency", "classpath", "jars", "maven", "mavenRepo", "loadFromPOM", "load", "lsmagic"));
  }

  /** The scopes {@code %loadFromPOM} and {@code %%loadFromPOM} load when given none (IJava's). */
  public static final List<String> POM_DEFAULT_SCOPES = List.of("compile", "runtime", "system", "import");

  private static List<String> paths(List<Path> entries) {
    List<String> out = new ArrayList<>();
    for (Path p : entries) out.add(p.toAbsolutePath().toString());
    return out;
  }

  /**
   * Runs one magic; returns its value, as IJava's magics do: {@code %jars} and {@code %classpath}
   * the paths they added, {@code %maven} the jars it resolved, the others null. (A magic on a line
   * of its own shows no value; {@code var added = %jars lib/*.jar} keeps it.)
   */
  public Object apply(String name, List<String> args) throws IOException {
    switch (name) {
      case "classpath", "jars" -> {
        if (args.isEmpty()) throw new IllegalArgumentException("usage: %" + name + " PATH_OR_GLOB...");
        List<Path> all = new ArrayList<>();
        for (String a : args) {
          for (String part : a.split(File.pathSeparator)) {
            if (part.isBlank()) continue;
            List<Path> found = expandGlobs(part, Path.of(""));
            if (found.isEmpty()) throw new IllegalArgumentException("no file matches '" + part + "'");
            all.addAll(found);
          }
        }
        host.addToClasspath(all);
        return paths(all);
      }
      case "maven", "addMavenDependency" -> {
        if (args.isEmpty()) throw new IllegalArgumentException("usage: %" + name + " group:artifact:version ...");
        List<Path> added = new ArrayList<>();
        for (String coords : args) {
          List<Path> jars = maven.resolve(coords);
          host.addToClasspath(jars);
          added.addAll(jars);
        }
        return paths(added);
      }
      case "mavenRepo" -> {
        if (args.size() != 2) throw new IllegalArgumentException("usage: %mavenRepo ID URL");
        maven.addRepository(args.get(0), args.get(1));
        return null;
      }
      case "loadFromPOM" -> {
        // IJava's line form: a POM file, then the scopes to load (default: IJava's)
        if (args.isEmpty()) throw new IllegalArgumentException("usage: %loadFromPOM POM_FILE [SCOPE...]");
        Path pom = Path.of(args.get(0));
        if (!Files.isRegularFile(pom)) throw new IllegalArgumentException("no such POM file: " + pom.toAbsolutePath());
        List<String> scopes = args.size() > 1 ? args.subList(1, args.size()) : POM_DEFAULT_SCOPES;
        PomFragment fragment;
        try {
          fragment = PomFragment.parse(Files.readString(pom));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(pom.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        List<Path> jars = maven.resolve(fragment, scopes);
        host.addToClasspath(jars);
        return paths(jars);
      }
      case "load" -> {
        if (args.size() != 1) throw new IllegalArgumentException("usage: %load FILE");
        Path file = Path.of(args.get(0));
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("no such file: " + file.toAbsolutePath());
        host.evalFile(file);
        return null;
      }
      case "lsmagic" -> {
        host.print("line magics: %" + String.join(" %", names()) + "\ncell magics: " + CellMagic.known() + "\n");
        return null;
      }
      default -> throw new IllegalArgumentException(
          "unknown magic %" + name + " (known: %" + String.join(" %", names()) + ")");
    }
  }

  /** The call a line magic used as an expression becomes (see {@link #rewriteInlineMagics}). */
  public static final String INLINE_CALL = "dev.tfkit.kernel.CellFunctions.lineMagic";

  /**
   * Rewrites line magics used as values, as IJava does: {@code List<String> added = %jars x/*.jar}
   * becomes {@code List<String> added = dev.tfkit.kernel.CellFunctions.lineMagic("jars",
   * java.util.List.of("x/*.jar"));}. A magic counts as a value where {@code %name} follows an
   * assignment's {@code =} outside a string; its arguments are the rest of the line (a final
   * {@code ;} ends the statement). Line breaks are kept, so cell line numbers stay right.
   */
  public static String rewriteInlineMagics(String code) {
    if (code.indexOf('%') < 0) return code;
    StringBuilder out = new StringBuilder(code.length() + 64);
    String[] lines = code.split("\n", -1);
    int[] state = {0}; // carried across lines: 0 code, 1 in a text block, 2 in a /* comment */
    for (int i = 0; i < lines.length; i++) {
      if (i > 0) out.append('\n');
      out.append(rewriteLine(lines[i], state));
    }
    return out.toString();
  }

  private static String rewriteLine(String line, int[] state) {
    boolean inString = false;
    boolean inChar = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (state[0] == 1) { // text block: only its closing """ matters
        if (c == '\\') i++;
        else if (line.startsWith("\"\"\"", i)) {
          state[0] = 0;
          i += 2;
        }
        continue;
      }
      if (state[0] == 2) {
        if (line.startsWith("*/", i)) {
          state[0] = 0;
          i++;
        }
        continue;
      }
      if (inString || inChar) {
        if (c == '\\') i++;
        else if (inString && c == '"') inString = false;
        else if (inChar && c == '\'') inChar = false;
        continue;
      }
      if (line.startsWith("\"\"\"", i)) {
        state[0] = 1;
        i += 2;
      } else if (c == '"') inString = true;
      else if (c == '\'') inChar = true;
      else if (line.startsWith("/*", i)) {
        state[0] = 2;
        i++;
      } else if (line.startsWith("//", i)) return line;
      else if (c == '=' && isAssignment(line, i)) {
        int j = i + 1;
        while (j < line.length() && Character.isWhitespace(line.charAt(j))) j++;
        if (j + 1 < line.length() && line.charAt(j) == '%' && Character.isJavaIdentifierStart(line.charAt(j + 1))) {
          String rest = line.substring(j + 1).strip();
          if (rest.endsWith(";")) rest = rest.substring(0, rest.length() - 1).strip();
          int sp = 0;
          while (sp < rest.length() && !Character.isWhitespace(rest.charAt(sp))) sp++;
          StringBuilder call = new StringBuilder(INLINE_CALL).append('(').append(literal(rest.substring(0, sp)))
              .append(", java.util.List.<String>of(");
          List<String> args = split(rest.substring(sp).strip());
          for (int k = 0; k < args.size(); k++) {
            if (k > 0) call.append(", ");
            call.append(literal(args.get(k)));
          }
          call.append("));");
          return line.substring(0, j) + call;
        }
      }
    }
    return line;
  }

  private static boolean isAssignment(String line, int eq) {
    if (eq + 1 < line.length() && line.charAt(eq + 1) == '=') return false;
    if (eq == 0) return false;
    return "=!<>+-*/%&|^".indexOf(line.charAt(eq - 1)) < 0;
  }

  private static String literal(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\t' -> b.append("\\t");
        case '\r' -> b.append("\\r");
        default -> {
          if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
          else b.append(c);
        }
      }
    }
    return b.append('"').toString();
  }

  /** Splits magic arguments on spaces, keeping quoted parts ("a b" or 'a b') together. */
  public static List<String> split(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    char quote = 0;
    boolean any = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quote != 0) {
        if (c == quote) quote = 0;
        else cur.append(c);
      } else if (c == '"' || c == '\'') {
        quote = c;
        any = true;
      } else if (Character.isWhitespace(c)) {
        if (cur.length() > 0 || any) out.add(cur.toString());
        cur.setLength(0);
        any = false;
      } else {
        cur.append(c);
      }
    }
    if (cur.length() > 0 || any) out.add(cur.toString());
    return out;
  }

  /**
   * Files matching {@code pattern}, relative to {@code base} unless absolute; {@code *} and {@code
   * ?} match within a folder, {@code **} across folders. A pattern without wildcards is returned as
   * is when it exists.
   */
  public static List<Path> expandGlobs(String pattern, Path base) {
    String p = pattern.startsWith("~/") ? System.getProperty("user.home") + pattern.substring(1) : pattern;
    if (!p.contains("*") && !p.contains("?") && !p.contains("[") && !p.contains("{")) {
      Path path = base.resolve(p);
      return Files.exists(path) ? List.of(path) : List.of();
    }
    // Walk from the longest folder prefix without wildcards.
    String norm = p.replace('\\', '/');
    int firstWild = indexOfWildcard(norm);
    int slash = norm.lastIndexOf('/', firstWild);
    Path root = slash < 0 ? base : base.resolve(slash == 0 ? "/" : norm.substring(0, slash));
    String rest = slash < 0 ? norm : norm.substring(slash + 1);
    if (!Files.isDirectory(root)) return List.of();
    PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + rest);
    List<Path> out = new ArrayList<>();
    int depth = rest.contains("**") ? Integer.MAX_VALUE : rest.split("/").length;
    try (Stream<Path> s = Files.walk(root, depth)) {
      s.filter(f -> !f.equals(root) && m.matches(root.relativize(f))).sorted().forEach(out::add);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot list " + root + ": " + e.getMessage(), e);
    }
    return out;
  }

  private static int indexOfWildcard(String s) {
    int best = s.length();
    for (char c : new char[] {'*', '?', '[', '{'}) {
      int i = s.indexOf(c);
      if (i >= 0) best = Math.min(best, i);
    }
    return best;
  }
}
