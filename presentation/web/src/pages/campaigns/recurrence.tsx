import type { ApiProblem, Schemas } from "../../api/client";
import { SelectField, TextField } from "../../components/ui";

export type RecurrenceDraft = { mode: "none" | "days" | "cron"; days: string; cron: string };

export const NO_RECURRENCE: RecurrenceDraft = { mode: "none", days: "7", cron: "0 6 * * 1" };

export function recurrenceDraft(view: Schemas["RecurrenceView"] | null | undefined): RecurrenceDraft {
  if (view?.every_days) return { ...NO_RECURRENCE, mode: "days", days: String(view.every_days) };
  if (view?.cron) return { ...NO_RECURRENCE, mode: "cron", cron: view.cron };
  return NO_RECURRENCE;
}

/** The request's recurrence: null stops recurring; the server checks the numbers and the cron. */
export function recurrenceRequest(draft: RecurrenceDraft): Schemas["RecurrenceRequest"] | null {
  if (draft.mode === "days") return { every_days: Number(draft.days) };
  if (draft.mode === "cron") return { cron: draft.cron.trim() };
  return null;
}

export function RecurrenceFields({ value, onChange, problem }: { value: RecurrenceDraft; onChange: (next: RecurrenceDraft) => void; problem: ApiProblem | null }) {
  return (
    <div className="space-y-3">
      <SelectField
        label="Recurrence"
        value={value.mode}
        onChange={(e) => onChange({ ...value, mode: e.target.value as RecurrenceDraft["mode"] })}
        error={problem?.field("recurrence")}
        options={[
          ["none", "Runs once"],
          ["days", "Every so many days"],
          ["cron", "On a cron schedule (UTC)"],
        ]}
      />
      {value.mode === "days" && (
        <TextField
          label="Every (days)"
          type="number"
          min={1}
          max={3660}
          value={value.days}
          onChange={(e) => onChange({ ...value, days: e.target.value })}
          error={problem?.field("recurrence.every_days")}
        />
      )}
      {value.mode === "cron" && (
        <TextField
          label="Cron expression"
          value={value.cron}
          onChange={(e) => onChange({ ...value, cron: e.target.value })}
          error={problem?.field("recurrence.cron")}
          hint="Five fields (minute hour day month weekday), in UTC."
        />
      )}
    </div>
  );
}
