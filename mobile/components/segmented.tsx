import { Pressable, StyleSheet, Text, View } from 'react-native';

import { colors, space } from './theme';

type Option<T> = { value: T; label: string };

/** A row of choices; with `multiple`, `value` is an array. testIDs: `<testID>-<value>`. */
export function Segmented<T extends string | number>({
  options,
  value,
  onChange,
  testID,
}: {
  options: Option<T>[];
  value: T | T[] | null;
  onChange: (value: T) => void;
  testID: string;
}) {
  const selected = (v: T) => (Array.isArray(value) ? value.includes(v) : value === v);
  return (
    <View style={styles.row} accessibilityRole="radiogroup">
      {options.map((o) => (
        <Pressable
          key={String(o.value)}
          testID={`${testID}-${o.value}`}
          accessibilityRole={Array.isArray(value) ? 'checkbox' : 'radio'}
          accessibilityState={Array.isArray(value) ? { checked: selected(o.value) } : { selected: selected(o.value) }}
          accessibilityLabel={o.label}
          onPress={() => onChange(o.value)}
          style={[styles.item, selected(o.value) && styles.on]}
        >
          <Text style={[styles.text, selected(o.value) && styles.onText]}>{o.label}</Text>
        </Pressable>
      ))}
    </View>
  );
}

const styles = StyleSheet.create({
  row: { flexDirection: 'row', flexWrap: 'wrap', gap: space.sm },
  item: { borderWidth: 1, borderColor: colors.border, borderRadius: 16, paddingVertical: 6, paddingHorizontal: space.md, backgroundColor: colors.card },
  on: { backgroundColor: colors.primary, borderColor: colors.primary },
  text: { color: colors.text, fontSize: 14 },
  onText: { color: colors.primaryText, fontWeight: '600' },
});
