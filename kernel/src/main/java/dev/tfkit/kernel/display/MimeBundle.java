package dev.tfkit.kernel.display;

import io.github.spencerpark.jupyter.kernel.display.DisplayData;
import java.lang.reflect.Field;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One rich output of a cell as Jupyter sees it: data keyed by MIME type ({@code text/plain},
 * {@code text/html}, {@code image/png} as base64 ...), metadata, and an optional display id that
 * later updates replace in place.
 */
public final class MimeBundle {
  private final Map<String, Object> data;
  private final Map<String, Object> metadata;
  private final String displayId;

  private MimeBundle(Map<String, Object> data, Map<String, Object> metadata, String displayId) {
    this.data = Collections.unmodifiableMap(new LinkedHashMap<>(data));
    this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    this.displayId = displayId;
  }

  /**
   * The bundle of the Jupyter kernel library's {@code DisplayData} (what IJava's {@code
   * Display.render} returns and IJava renderers fill): its data, metadata and display id.
   */
  public static MimeBundle of(DisplayData d) {
    Builder b = builder();
    DisplayDataFields.data(d).forEach(b::put);
    DisplayDataFields.metadata(d).forEach(b::metadata);
    if (d.hasDisplayId()) b.displayId(d.getDisplayId());
    return b.build();
  }

  /** This bundle as the Jupyter kernel library's {@code DisplayData}. */
  public DisplayData toDisplayData() {
    DisplayData d = new DisplayData();
    data.forEach(d::putData);
    metadata.forEach(d::putMetaData);
    if (displayId != null) d.setDisplayId(displayId);
    return d;
  }

  /** DisplayData has no getters for its maps; its fields are read instead. */
  private static final class DisplayDataFields {
    private static final Field DATA = field("data");
    private static final Field METADATA = field("metadata");

    private static Field field(String name) {
      try {
        Field f = DisplayData.class.getDeclaredField(name);
        f.setAccessible(true);
        return f;
      } catch (ReflectiveOperationException | RuntimeException e) {
        throw new IllegalStateException("cannot read DisplayData." + name + ": " + e, e);
      }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> get(Field f, Object d) {
      try {
        Map<String, Object> m = (Map<String, Object>) f.get(d);
        return m == null ? Map.of() : m;
      } catch (IllegalAccessException e) {
        throw new IllegalStateException(e);
      }
    }

    static Map<String, Object> data(Object d) {
      return get(DATA, d);
    }

    static Map<String, Object> metadata(Object d) {
      return get(METADATA, d);
    }
  }

  /** A bundle holding only {@code text/plain}. */
  public static MimeBundle text(String text) {
    return builder().put("text/plain", text).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** MIME type to value: a String for text and base64 images, a Map or List for JSON types. */
  public Map<String, Object> data() {
    return data;
  }

  public Map<String, Object> metadata() {
    return metadata;
  }

  public Optional<String> displayId() {
    return Optional.ofNullable(displayId);
  }

  /** The value for one MIME type as text, or null when the bundle has none. */
  public String get(String mimeType) {
    Object v = data.get(mimeType);
    return v == null ? null : v.toString();
  }

  /** The {@code text/plain} representation, or "" when there is none. */
  public String plainText() {
    String t = get("text/plain");
    return t == null ? "" : t;
  }

  public boolean has(String mimeType) {
    return data.containsKey(mimeType);
  }

  /** A copy with {@code displayId} set (null removes it). */
  public MimeBundle withDisplayId(String id) {
    return new MimeBundle(data, metadata, id);
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.data.putAll(data);
    b.metadata.putAll(metadata);
    b.displayId = displayId;
    return b;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MimeBundle m
        && m.data.equals(data)
        && m.metadata.equals(metadata)
        && Objects.equals(m.displayId, displayId);
  }

  @Override
  public int hashCode() {
    return Objects.hash(data, metadata, displayId);
  }

  @Override
  public String toString() {
    return "MimeBundle" + data.keySet() + (displayId == null ? "" : " id=" + displayId);
  }

  /** Collects MIME data; later puts of the same type replace earlier ones. */
  public static final class Builder {
    private final Map<String, Object> data = new LinkedHashMap<>();
    private final Map<String, Object> metadata = new LinkedHashMap<>();
    private String displayId;

    private Builder() {}

    public Builder put(String mimeType, Object value) {
      data.put(Objects.requireNonNull(mimeType, "mimeType"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /** Adds {@code value} only when the type is not present yet. */
    public Builder putIfAbsent(String mimeType, Object value) {
      data.putIfAbsent(mimeType, value);
      return this;
    }

    public Builder metadata(String mimeType, Object value) {
      metadata.put(mimeType, value);
      return this;
    }

    public Builder displayId(String id) {
      this.displayId = id;
      return this;
    }

    public boolean has(String mimeType) {
      return data.containsKey(mimeType);
    }

    public boolean isEmpty() {
      return data.isEmpty();
    }

    public MimeBundle build() {
      return new MimeBundle(data, metadata, displayId);
    }
  }
}
