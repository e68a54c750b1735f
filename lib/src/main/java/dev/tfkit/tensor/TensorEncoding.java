package dev.tfkit.tensor;

/**
 * How a numeric tensor is written into a {@link org.tensorflow.proto.TensorProto}: packed bytes in
 * {@code tensor_content} (compact and fast, the default) or one repeated typed field per value
 * ({@code float_val}, {@code int_val}, {@code half_val} ...), which some hand-written clients and
 * JSON tools expect.
 */
public enum TensorEncoding {
  /** Packed little-endian values in {@code tensor_content}; strings always use {@code string_val}. */
  TENSOR_CONTENT,
  /** The typed repeated field of the dtype ({@code float_val}, {@code int64_val}, {@code half_val} ...). */
  TYPED_FIELDS
}
