package dev.tfkit.serving;

import com.google.protobuf.ByteString;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.tensorflow.proto.BytesList;
import org.tensorflow.proto.Example;
import org.tensorflow.proto.Feature;
import org.tensorflow.proto.Features;
import org.tensorflow.proto.FloatList;
import org.tensorflow.proto.Int64List;

/**
 * Builds {@code tf.Example}s from Java maps, for classify and regress calls: each entry is a
 * feature. Floating point values ({@code float}, {@code double}, their arrays and lists) become a
 * {@code float_list}; integers and booleans ({@code int}, {@code long}, {@code short}, {@code
 * byte}, {@code boolean} as 0/1) an {@code int64_list}; {@code String} (UTF-8), {@code byte[]} and
 * {@code ByteString} a {@code bytes_list}. A single value is a list of one; arrays and collections
 * give lists (a {@code byte[]} is one binary value, not a list of numbers). A {@link Feature} is
 * taken as it is.
 */
public final class Examples {
  private Examples() {}

  /** An Example with one feature per map entry. */
  public static Example of(Map<String, ?> features) {
    Features.Builder fb = Features.newBuilder();
    for (Map.Entry<String, ?> e : features.entrySet()) {
      if (e.getKey() == null) throw new IllegalArgumentException("a feature name is null");
      fb.putFeature(e.getKey(), feature(e.getKey(), e.getValue()));
    }
    return Example.newBuilder().setFeatures(fb).build();
  }

  /** Examples from maps, in order; the error names the example's index and the feature. */
  public static List<Example> of(List<? extends Map<String, ?>> examples) {
    List<Example> out = new ArrayList<>(examples.size());
    for (int i = 0; i < examples.size(); i++) {
      try {
        out.add(of(examples.get(i)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("example " + i + ": " + e.getMessage(), e);
      }
    }
    return out;
  }

  /** One feature from a Java value. */
  public static Feature feature(String name, Object value) {
    if (value instanceof Feature f) return f;
    if (value == null) throw new IllegalArgumentException("feature '" + name + "' is null");
    List<Object> items = new ArrayList<>();
    if (value instanceof byte[] || value instanceof ByteString || value instanceof String) {
      items.add(value);
    } else if (value.getClass().isArray()) {
      int n = Array.getLength(value);
      for (int i = 0; i < n; i++) items.add(Array.get(value, i));
      if (n == 0) return empty(name, value.getClass().getComponentType());
    } else if (value instanceof Collection<?> c) {
      if (c.isEmpty()) {
        throw new IllegalArgumentException(
            "feature '" + name + "' is an empty collection, whose type is unknown; pass an empty"
                + " float[], long[] or String[]");
      }
      items.addAll(c);
    } else {
      items.add(value);
    }
    boolean anyFloat = false;
    boolean anyInt = false;
    boolean anyBytes = false;
    for (Object o : items) {
      if (o instanceof Float || o instanceof Double) anyFloat = true;
      else if (o instanceof Long || o instanceof Integer || o instanceof Short || o instanceof Byte
          || o instanceof Boolean) anyInt = true;
      else if (o instanceof String || o instanceof byte[] || o instanceof ByteString) anyBytes = true;
      else {
        throw new IllegalArgumentException(
            "feature '" + name + "' holds a " + (o == null ? "null" : o.getClass().getName())
                + "; features take numbers, booleans, strings and byte[]");
      }
    }
    if (anyBytes && (anyFloat || anyInt)) {
      throw new IllegalArgumentException(
          "feature '" + name + "' mixes strings and numbers; a feature has one type");
    }
    Feature.Builder f = Feature.newBuilder();
    if (anyBytes) {
      BytesList.Builder b = BytesList.newBuilder();
      for (Object o : items) {
        if (o instanceof String s) b.addValue(ByteString.copyFromUtf8(s));
        else if (o instanceof byte[] bytes) b.addValue(ByteString.copyFrom(bytes));
        else b.addValue((ByteString) o);
      }
      return f.setBytesList(b).build();
    }
    if (anyFloat) {
      FloatList.Builder b = FloatList.newBuilder();
      for (Object o : items) {
        b.addValue(o instanceof Boolean bo ? (bo ? 1f : 0f) : ((Number) o).floatValue());
      }
      return f.setFloatList(b).build();
    }
    Int64List.Builder b = Int64List.newBuilder();
    for (Object o : items) b.addValue(o instanceof Boolean bo ? (bo ? 1 : 0) : ((Number) o).longValue());
    return f.setInt64List(b).build();
  }

  private static Feature empty(String name, Class<?> component) {
    if (component == float.class || component == double.class
        || component == Float.class || component == Double.class) {
      return Feature.newBuilder().setFloatList(FloatList.getDefaultInstance()).build();
    }
    if (component == String.class || component == byte[].class) {
      return Feature.newBuilder().setBytesList(BytesList.getDefaultInstance()).build();
    }
    return Feature.newBuilder().setInt64List(Int64List.getDefaultInstance()).build();
  }
}
