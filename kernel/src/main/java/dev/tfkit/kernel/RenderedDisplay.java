package dev.tfkit.kernel;

import dev.tfkit.kernel.display.MimeBundle;
import io.github.spencerpark.jupyter.kernel.display.DisplayData;
import java.util.Map;

/**
 * What {@link CellFunctions#render} returns: the Jupyter kernel library's {@link DisplayData} (so a
 * cell written for IJava, {@code DisplayData d = render(obj, "text/html")}, compiles and shows
 * {@code d} as its MIME data), with tfkit's {@link MimeBundle} view on top: {@link #bundle()},
 * {@link #get}, {@link #plainText()}, {@link #has}. The view reads the data as it is now, so
 * {@code putHTML(...)} and the other {@code DisplayData} setters show in it.
 */
public final class RenderedDisplay extends DisplayData {
  private RenderedDisplay() {}

  /** A DisplayData holding the bundle's data, metadata and display id. */
  public static RenderedDisplay of(MimeBundle bundle) {
    RenderedDisplay d = new RenderedDisplay();
    bundle.data().forEach(d::putData);
    bundle.metadata().forEach(d::putMetaData);
    bundle.displayId().ifPresent(d::setDisplayId);
    return d;
  }

  /** This display's data as tfkit's bundle. */
  public MimeBundle bundle() {
    return MimeBundle.of(this);
  }

  /** MIME type to value, as {@link MimeBundle#data()}. */
  public Map<String, Object> data() {
    return bundle().data();
  }

  /** The value for one MIME type as text, or null when there is none. */
  public String get(String mimeType) {
    return bundle().get(mimeType);
  }

  /** The {@code text/plain} representation, or "" when there is none. */
  public String plainText() {
    return bundle().plainText();
  }

  public boolean has(String mimeType) {
    return bundle().has(mimeType);
  }

  @Override
  public String toString() {
    return "RenderedDisplay" + bundle().data().keySet();
  }
}
