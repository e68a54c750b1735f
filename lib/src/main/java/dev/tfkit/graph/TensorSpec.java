package dev.tfkit.graph;

import java.util.Arrays;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorShapeProto;

/**
 * A tensor's dtype and static shape as the runtime infers them.
 *
 * @param name tensor name {@code node:index}
 * @param dtype element type
 * @param shape dimensions, -1 where unknown; null when even the rank is unknown
 */
public record TensorSpec(String name, DataType dtype, long[] shape) {

  /** The shape as a TensorShapeProto (unknown rank when {@link #shape} is null). */
  public TensorShapeProto shapeProto() {
    TensorShapeProto.Builder b = TensorShapeProto.newBuilder();
    if (shape == null) return b.setUnknownRank(true).build();
    for (long d : shape) b.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    return b.build();
  }

  /** Shape in the usual notation, e.g. {@code (-1, 224, 224, 3)}, or {@code unknown}. */
  public String shapeString() {
    if (shape == null) return "unknown";
    StringBuilder sb = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) sb.append(i > 0 ? ", " : "").append(shape[i]);
    return sb.append(shape.length == 1 ? ",)" : ")").toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorSpec t && t.name.equals(name) && t.dtype == dtype && Arrays.equals(t.shape, shape);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return name + " " + dtype + " " + shapeString();
  }
}
