package dev.tfkit.kernel.display;

import io.github.spencerpark.jupyter.kernel.display.DisplayData;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * How the notebook shows values: renderers keyed by class (the most specific registered class or
 * interface of a value wins), then the {@code toHtml()} convention — any object with a public
 * {@code String toHtml()} method shows as {@code text/html} — and always a {@code text/plain} form.
 *
 * <p>Types of other modules plug in without kernel changes: give the type a {@code toHtml()}
 * method, or call {@code registerRenderer(Type.class, (v, out) -> ...)} in a cell or a startup
 * script.
 */
public final class DisplayRegistry {
  /** Text outputs longer than this are cut, with a note saying how much was left out. */
  public static final int DEFAULT_MAX_TEXT_CHARS = 200_000;

  private final Map<Class<?>, Renderer<?>> renderers = new ConcurrentHashMap<>();
  private final Map<Class<?>, Method> toHtmlCache = new ConcurrentHashMap<>();
  private volatile int maxTextChars = DEFAULT_MAX_TEXT_CHARS;

  /** A registry with the built-in renderers (images, charts, tables). */
  public static DisplayRegistry withDefaults() {
    DisplayRegistry r = new DisplayRegistry();
    BuiltinRenderers.registerAll(r);
    return r;
  }

  /** An empty registry: only the {@code toHtml()} convention and {@code text/plain}. */
  public static DisplayRegistry empty() {
    return new DisplayRegistry();
  }

  /** Registers (or replaces) the renderer for {@code type} and its subtypes. */
  public <T> DisplayRegistry register(Class<T> type, Renderer<? super T> renderer) {
    renderers.put(type, renderer);
    return this;
  }

  public DisplayRegistry maxTextChars(int chars) {
    this.maxTextChars = chars;
    return this;
  }

  public int maxTextChars() {
    return maxTextChars;
  }

  /** Renders {@code value}; problems are reported to {@code warnings}, never thrown. */
  public MimeBundle render(Object value, Consumer<String> warnings) {
    MimeBundle.Builder out = MimeBundle.builder();
    if (value instanceof MimeBundle b) return b;
    // What IJava's Display.render and IJava-style renderers return: shown as itself.
    if (value instanceof DisplayData d) return truncate(MimeBundle.of(d));
    if (value != null) {
      Renderer<Object> r = find(value.getClass());
      if (r == null) {
        Class<?> twin = otherCopyOfRenderedType(value.getClass());
        if (twin != null) {
          warnings.accept(
              "display: " + value.getClass().getName() + " comes from your own jars, not from the copy of "
                  + twin.getName() + " tfkit renders; showing it as text");
        }
      }
      if (r != null) {
        MimeBundle.Builder attempt = MimeBundle.builder();
        try {
          r.render(value, attempt);
          out = attempt;
        } catch (Throwable e) {
          warnings.accept(
              "display: the renderer for "
                  + value.getClass().getName()
                  + " failed ("
                  + e
                  + "); showing the value as text");
        }
      }
      if (!out.has("text/html")) {
        Method m = toHtmlMethod(value.getClass());
        if (m != null) {
          try {
            Object html = m.invoke(value);
            if (html != null) out.put("text/html", html.toString());
          } catch (Throwable e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            warnings.accept(
                "display: " + value.getClass().getName() + ".toHtml() failed (" + cause + ")");
          }
        }
      }
    }
    if (!out.has("text/plain")) {
      String text;
      try {
        text = ValueText.of(value);
      } catch (Throwable e) {
        text =
            value.getClass().getName()
                + "@"
                + Integer.toHexString(System.identityHashCode(value))
                + " (toString() failed: "
                + e
                + ")";
      }
      out.put("text/plain", text);
    }
    return truncate(out.build());
  }

  public MimeBundle render(Object value) {
    return render(value, w -> {});
  }

  /**
   * {@code value} rendered as only {@code mimeTypes} (all it renders as when none are given), what
   * IJava's {@code display(x, types...)} and {@code render(x, types...)} show. Like IJava, text asked
   * for as a type it was not rendered as is taken to be that type: {@code display("<b>x</b>",
   * "text/html")} shows bold text.
   */
  public MimeBundle render(Object value, Consumer<String> warnings, String... mimeTypes) {
    MimeBundle b = render(value, warnings);
    if (mimeTypes == null || mimeTypes.length == 0) return b;
    MimeBundle.Builder out = MimeBundle.builder();
    List<String> wanted = Arrays.asList(mimeTypes);
    b.data().forEach((k, v) -> {
      if (wanted.contains(k)) out.put(k, v);
    });
    if (value instanceof CharSequence text) {
      for (String m : wanted) out.putIfAbsent(m, text.toString());
      out.putIfAbsent("text/plain", text.toString());
    }
    if (out.isEmpty()) out.put("text/plain", b.plainText());
    return out.build().withDisplayId(b.displayId().orElse(null));
  }

  /** Cuts long text outputs to {@link #maxTextChars()} with a note. */
  MimeBundle truncate(MimeBundle b) {
    MimeBundle.Builder out = null;
    for (var e : b.data().entrySet()) {
      if (!(e.getValue() instanceof String s) || s.length() <= maxTextChars) continue;
      if (e.getKey().startsWith("image/")) continue;
      if (out == null) out = b.toBuilder();
      int left = s.length() - maxTextChars;
      String note = "... [output truncated: " + left + " more characters not shown]";
      String cut = s.substring(0, maxTextChars);
      out.put(e.getKey(), e.getKey().equals("text/html") ? cut + "<p><i>" + note + "</i></p>" : cut + "\n" + note);
    }
    return out == null ? b : out.build();
  }

  @SuppressWarnings("unchecked")
  private Renderer<Object> find(Class<?> type) {
    // Breadth-first over superclasses and interfaces, so the closest registered type wins.
    Deque<Class<?>> queue = new ArrayDeque<>(List.of(type));
    Set<Class<?>> seen = new HashSet<>();
    while (!queue.isEmpty()) {
      Class<?> c = queue.poll();
      if (!seen.add(c)) continue;
      Renderer<?> r = renderers.get(c);
      if (r != null) return (Renderer<Object>) r;
      if (c.getSuperclass() != null) queue.add(c.getSuperclass());
      queue.addAll(List.of(c.getInterfaces()));
    }
    return null;
  }

  /**
   * A registered type with the name of one of {@code type}'s supertypes but from another class
   * loader: the user's own copy of a library (another XChart version, say), which tfkit's renderer
   * cannot take. Null when there is none.
   */
  private Class<?> otherCopyOfRenderedType(Class<?> type) {
    Map<String, Class<?>> byName = new HashMap<>();
    for (Class<?> k : renderers.keySet()) byName.put(k.getName(), k);
    Deque<Class<?>> queue = new ArrayDeque<>(List.of(type));
    Set<Class<?>> seen = new HashSet<>();
    while (!queue.isEmpty()) {
      Class<?> c = queue.poll();
      if (!seen.add(c)) continue;
      Class<?> k = byName.get(c.getName());
      if (k != null && k != c) return k;
      if (c.getSuperclass() != null) queue.add(c.getSuperclass());
      queue.addAll(List.of(c.getInterfaces()));
    }
    return null;
  }

  private static final Method NONE;

  static {
    try {
      NONE = Object.class.getMethod("toString");
    } catch (NoSuchMethodException e) {
      throw new AssertionError(e);
    }
  }

  private Method toHtmlMethod(Class<?> type) {
    Method m =
        toHtmlCache.computeIfAbsent(
            type,
            t -> {
              try {
                Method found = t.getMethod("toHtml");
                if (found.getReturnType() != String.class
                    || Modifier.isStatic(found.getModifiers())) return NONE;
                try {
                  // A public method of a non-public class (a cell's record, say) needs this.
                  found.setAccessible(true);
                } catch (RuntimeException notOpen) {
                  // Public types of named modules are callable without it.
                }
                return found;
              } catch (NoSuchMethodException | RuntimeException e) {
                return NONE;
              }
            });
    return m == NONE ? null : m;
  }
}
