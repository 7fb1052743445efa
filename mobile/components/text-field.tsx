import { StyleSheet, Text, TextInput, View, type TextInputProps } from 'react-native';

import { colors, space } from './theme';

type Props = Omit<TextInputProps, 'style'> & {
  label: string;
  /** API field name: the input is `field-<name>`, its errors `field-<name>-error`. */
  name: string;
  errors?: string[];
  hint?: string;
};

export function TextField({ label, name, errors, hint, ...input }: Props) {
  const invalid = errors != null && errors.length > 0;
  return (
    <View style={styles.wrap}>
      <Text style={styles.label} nativeID={`label-${name}`}>
        {label}
      </Text>
      <TextInput
        testID={`field-${name}`}
        accessibilityLabel={label}
        aria-invalid={invalid}
        autoCapitalize="none"
        autoCorrect={false}
        placeholderTextColor={colors.muted}
        style={[styles.input, invalid && styles.invalid]}
        {...input}
      />
      {hint != null && !invalid ? <Text style={styles.hint}>{hint}</Text> : null}
      {invalid ? <FieldError name={name} errors={errors} /> : null}
    </View>
  );
}

export function FieldError({ name, errors }: { name: string; errors?: string[] }) {
  if (errors == null || errors.length === 0) return null;
  return (
    <Text testID={`field-${name}-error`} accessibilityRole="alert" style={styles.error}>
      {errors.join(' ')}
    </Text>
  );
}

const styles = StyleSheet.create({
  wrap: { marginBottom: space.md },
  label: { fontSize: 14, fontWeight: '600', color: colors.text, marginBottom: space.xs },
  input: {
    borderWidth: 1,
    borderColor: colors.border,
    borderRadius: 8,
    paddingHorizontal: space.md,
    paddingVertical: 10,
    fontSize: 16,
    backgroundColor: colors.card,
    color: colors.text,
  },
  invalid: { borderColor: colors.danger },
  hint: { color: colors.muted, fontSize: 12, marginTop: 2 },
  error: { color: colors.danger, fontSize: 13, marginTop: 2 },
});
