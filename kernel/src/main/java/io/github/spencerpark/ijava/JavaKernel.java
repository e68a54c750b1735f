package io.github.spencerpark.ijava;

import dev.tfkit.kernel.CellFunctions;
import dev.tfkit.kernel.display.DisplayRegistry;
import dev.tfkit.kernel.display.MimeBundle;
import io.github.spencerpark.jupyter.kernel.display.DisplayData;
import io.github.spencerpark.jupyter.kernel.display.RenderFunction;
import io.github.spencerpark.jupyter.kernel.display.Renderer;
import io.github.spencerpark.jupyter.kernel.display.mime.MIMEType;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * What IJava's {@code IJava.getKernelInstance()} returns, for cells written for IJava: the
 * renderer ({@code getRenderer().createRegistration(T.class).preferring(...).register(...)}, which
 * registers into the notebook's own {@link DisplayRegistry}), {@code display}, {@code eval} and
 * {@code addToClasspath}, all delegating to tfkit's {@link CellFunctions}.
 */
public final class JavaKernel {
  private static final Map<DisplayRegistry, JavaKernel> KERNELS = new WeakHashMap<>();

  private final DisplayRegistry displays;
  private final BridgeRenderer renderer;

  private JavaKernel(DisplayRegistry displays) {
    this.displays = displays;
    this.renderer = new BridgeRenderer(displays);
  }

  static JavaKernel current() {
    DisplayRegistry displays;
    try {
      displays = CellFunctions.displayRegistry();
    } catch (IllegalStateException noCell) {
      return null;
    }
    synchronized (KERNELS) {
      return KERNELS.computeIfAbsent(displays, JavaKernel::new);
    }
  }

  /**
   * The kernel library's {@link Renderer}: registrations made on it show values in this notebook;
   * {@code render} and {@code renderAs} render with the notebook's renderers.
   */
  public Renderer getRenderer() {
    return renderer;
  }

  /** Shows {@code data} now. */
  public void display(DisplayData data) {
    CellFunctions.display(data);
  }

  /** Evaluates code in the notebook and returns its value. */
  public Object evalRaw(String expr) {
    return CellFunctions.eval(expr);
  }

  /** Evaluates code in the notebook and returns its value rendered. */
  public DisplayData eval(String expr) {
    Object v = CellFunctions.eval(expr);
    return v == null ? null : displays.render(v).toDisplayData();
  }

  /** Adds jars or class folders (globs allowed) for the next snippets. */
  public void addToClasspath(String path) {
    CellFunctions.lineMagic("classpath", List.of(path));
  }

  /**
   * The kernel library's renderer, wired to the notebook: a registration also registers, for each
   * of its types, a tfkit renderer that runs the registered function; rendering goes through the
   * notebook's registry, so tfkit's renderers and these registrations both apply.
   */
  private static final class BridgeRenderer extends Renderer {
    private final DisplayRegistry displays;

    BridgeRenderer(DisplayRegistry displays) {
      this.displays = displays;
    }

    @Override
    @SuppressWarnings({"unchecked", "rawtypes"})
    public <T> void register(Set<MIMEType> supported, Set<MIMEType> preferred, Set<Class<? extends T>> types, RenderFunction<T> function) {
      super.register(supported, preferred, types, function);
      for (Class<? extends T> type : types) {
        displays.register((Class) type, (value, out) -> {
          MimeBundle b = MimeBundle.of(renderRegistered(value));
          b.data().forEach(out::put);
          b.metadata().forEach(out::metadata);
        });
      }
    }

    private DisplayData renderRegistered(Object value) {
      return super.render(value);
    }

    @Override
    public DisplayData render(Object value) {
      return displays.render(value).toDisplayData();
    }

    @Override
    public DisplayData renderAs(Object value, String... mimeTypes) {
      return CellFunctions.render(value, mimeTypes);
    }
  }
}
