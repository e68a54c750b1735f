package dev.tfkit.savedmodel;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tfkit.rest.TensorJson;
import dev.tfkit.tensor.DataTypes;
import dev.tfkit.tensor.TensorValue;
import java.util.Arrays;
import org.tensorflow.Tensor;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorShapeProto;

/**
 * JSON values (numbers, strings, booleans, nested arrays) to TensorFlow tensors of a signature's
 * dtype and shape, and tensors back to JSON — what {@code tfkit run} reads and prints.
 */
public final class JsonFeeds {
  private JsonFeeds() {}

  /**
   * A tensor of {@code dtype} from a JSON value; the JSON nesting gives the shape, adjusted to the
   * signature's {@code shape} when the element count fits it (so {@code [1, 2]} feeds a
   * {@code [-1, 1]} input). {@code what} names the input in error messages. The caller closes it.
   */
  public static Tensor toTensor(String what, JsonNode json, DataType dtype, TensorShapeProto shape) {
    // The values follow TF Serving's REST JSON rules (one codec for the REST API and tfkit run).
    TensorValue v = TensorJson.valueFromJson(json, DataTypes.base(dtype), what);
    return v.reshape(fit(what, v.shape(), v.size(), shape)).toTensor();
  }

  /** Reshapes {@code given} to the signature's shape where ranks differ and the count fits. */
  static long[] fit(String what, long[] given, long count, TensorShapeProto want) {
    if (want == null || want.getUnknownRank()) return given;
    int rank = want.getDimCount();
    long[] w = new long[rank];
    int unknown = -1;
    long known = 1;
    for (int i = 0; i < rank; i++) {
      w[i] = want.getDim(i).getSize();
      if (w[i] < 0) {
        if (unknown >= 0) unknown = -2; // two or more unknown dims: keep the JSON shape
        else if (unknown == -1) unknown = i;
      } else {
        known *= w[i];
      }
    }
    if (rank == given.length) {
      for (int i = 0; i < rank; i++) {
        if (w[i] >= 0 && w[i] != given[i]) {
          throw new IllegalArgumentException(what + ": shape " + Arrays.toString(given) + " does not fit the signature's " + Arrays.toString(w));
        }
      }
      return given;
    }
    if (unknown == -2) {
      throw new IllegalArgumentException(what + ": shape " + Arrays.toString(given) + " does not fit the signature's " + Arrays.toString(w));
    }
    if (unknown >= 0) {
      if (known == 0 || count % known != 0) {
        throw new IllegalArgumentException(what + ": " + count + " values do not fit the signature's shape " + Arrays.toString(w));
      }
      w[unknown] = count / known;
    } else if (known != count) {
      throw new IllegalArgumentException(what + ": " + count + " values do not fit the signature's shape " + Arrays.toString(w));
    }
    return w;
  }

  /** A tensor as JSON: nested arrays in row-major order; strings as UTF-8 text. */
  public static JsonNode toJson(Tensor t) {
    return TensorJson.toJson(TensorValue.fromTensor(t), false);
  }
}
