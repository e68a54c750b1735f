package dev.tfkit.server.tensorflow;

import dev.tfkit.tensor.TensorEncoding;
import dev.tfkit.tensor.TensorValue;
import org.tensorflow.Tensor;
import org.tensorflow.proto.TensorProto;

/** The server's one door to tensor conversion (tfkit's {@link TensorValue}). */
final class Tensors {
  private Tensors() {}

  /** A native tensor of a proto that {@link InputValidator} accepted; the caller closes it. */
  static Tensor toTensor(TensorProto proto) {
    return TensorValue.fromProto(proto).toTensor();
  }

  /** A fetched tensor as TF Serving writes outputs by default: typed repeated fields. */
  static TensorProto toTypedProto(Tensor t) {
    return TensorValue.fromTensor(t).toProto(TensorEncoding.TYPED_FIELDS);
  }

  /** A fetched tensor with its values packed in {@code tensor_content} (strings in string_val). */
  static TensorProto toPackedProto(Tensor t) {
    return TensorValue.fromTensor(t).toProto();
  }

  /** Re-encodes a proto with typed repeated fields. */
  static TensorProto typed(TensorProto p) {
    return TensorValue.fromProto(p).toProto(TensorEncoding.TYPED_FIELDS);
  }

  /** Re-encodes a proto with packed {@code tensor_content} (strings stay in string_val). */
  static TensorProto packed(TensorProto p) {
    return TensorValue.fromProto(p).toProto();
  }
}
