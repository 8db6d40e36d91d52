import { useEffect, useState } from 'react';
import { useMutation, useQuery, type CombinedError } from 'urql';
import type { Priority } from '@/gql/graphql';
import { personName, PRIORITIES, PRIORITY_LABELS } from '@/utils/format';
import { AssignableAgentsQuery, AssignTicketMutation, ChangePriorityMutation } from '../api/ticket';
import type { TicketDetail } from '../types';
import styles from './ticket-details.module.css';

/** Assignee and priority, for agents and admins (`ticket.canAssign`). */
export function StaffControls({
  ticket,
  meId,
  onDone,
}: {
  ticket: Pick<TicketDetail, 'number' | 'version' | 'priority' | 'assignee'>;
  meId: string | undefined;
  onDone: (error: CombinedError | undefined, success: string) => boolean;
}) {
  const [{ data: agentsData, error: agentsError }] = useQuery({ query: AssignableAgentsQuery });
  const [{ fetching: assigning }, assignTicket] = useMutation(AssignTicketMutation);
  const [{ fetching: prioritising }, changePriority] = useMutation(ChangePriorityMutation);
  const busy = assigning || prioritising;

  // Shows the choice at once; back to the server's value once it answers.
  const currentAssignee = ticket.assignee?.id ?? '';
  const [assignee, setAssignee] = useState(currentAssignee);
  const [priority, setPriority] = useState<Priority>(ticket.priority);
  useEffect(() => setAssignee(currentAssignee), [currentAssignee, ticket.version]);
  useEffect(() => setPriority(ticket.priority), [ticket.priority, ticket.version]);

  const agents = [...(agentsData?.assignableAgents ?? [])];
  if (ticket.assignee && !agents.some((a) => a.id === ticket.assignee?.id)) agents.unshift(ticket.assignee);

  const assign = async (id: string) => {
    setAssignee(id);
    const result = await assignTicket({ number: ticket.number, assigneeId: id || null, version: ticket.version });
    const who = result.data?.assignTicket.assignee;
    const ok = onDone(result.error, who ? `${ticket.number} is assigned to ${personName(who)}.` : `${ticket.number} is unassigned.`);
    if (!ok) setAssignee(currentAssignee);
  };

  const prioritise = async (p: Priority) => {
    setPriority(p);
    const result = await changePriority({ number: ticket.number, priority: p, version: ticket.version });
    const ok = onDone(result.error, `${ticket.number} now has ${PRIORITY_LABELS[p].toLowerCase()} priority.`);
    if (!ok) setPriority(ticket.priority);
  };

  return (
    <div className={styles.controls}>
      <div className="field">
        <label htmlFor="assignee-select">Assignee</label>
        <div className={styles.inline}>
          <select
            id="assignee-select"
            data-testid="assignee-select"
            value={assignee}
            disabled={busy}
            onChange={(e) => void assign(e.target.value)}
          >
            <option value="">Unassigned</option>
            {agents.map((a) => (
              <option key={a.id} value={a.id}>
                {personName(a)} ({a.username})
              </option>
            ))}
          </select>
          <button
            type="button"
            className="button secondary"
            data-testid="assign-to-me"
            disabled={busy || !meId || currentAssignee === meId}
            onClick={() => meId && void assign(meId)}
          >
            Assign to me
          </button>
        </div>
        {agentsError && <span className="hint">The list of agents could not be loaded.</span>}
      </div>
      <div className="field">
        <label htmlFor="priority-select">Priority</label>
        <select
          id="priority-select"
          data-testid="priority-select"
          value={priority}
          disabled={busy}
          onChange={(e) => void prioritise(e.target.value as Priority)}
        >
          {PRIORITIES.map((p) => (
            <option key={p} value={p}>
              {PRIORITY_LABELS[p]}
            </option>
          ))}
        </select>
      </div>
    </div>
  );
}
