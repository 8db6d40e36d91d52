import { useCallback, useEffect, useMemo, useState } from 'react';
import { LoadMore } from '@/components/ui/load-more';
import { EmptyState, ErrorMessage, Loading } from '@/components/ui/states';
import { useToast } from '@/components/ui/toast';
import { useCursorPages } from '@/hooks/use-cursor-pages';
import { useAuth } from '@/lib/auth';
import { describeError } from '@/lib/errors';
import { AdminUsersQuery } from '../api/users';
import { MAX_USER_SEARCH_CHARS, USERS_PAGE_SIZE, type AdminUser } from '../types';
import { CreateUserForm } from './create-user-form';
import { UsersTable } from './users-table';
import styles from './users.module.css';

const SEARCH_DELAY_MS = 300;

/** User administration (admins only): list, search, create, role, (de)activate. */
export function UsersAdmin() {
  const meId = useAuth().session?.user.id;
  const toast = useToast();
  const [text, setText] = useState('');
  const [search, setSearch] = useState('');
  useEffect(() => {
    const timer = setTimeout(() => setSearch(text.trim()), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text]);

  const variables = useMemo(
    () => ({ filter: search ? { search } : {}, first: USERS_PAGE_SIZE }),
    [search],
  );
  const pages = useCursorPages(
    AdminUsersQuery,
    variables,
    (d) => d.users,
    (u) => u.id,
  );

  // Changes made here show at once, without fetching the list again.
  const [changed, setChanged] = useState<ReadonlyMap<string, AdminUser>>(() => new Map());
  const onChanged = useCallback((u: AdminUser) => setChanged((prev) => new Map(prev).set(u.id, u)), []);
  const rows = useMemo(() => pages.nodes.map((u) => changed.get(u.id) ?? u), [pages.nodes, changed]);

  const { refresh } = pages;
  const onCreated = useCallback(
    (u: AdminUser) => {
      toast.show(`User ${u.username} created.`, 'success');
      refresh();
    },
    [refresh, toast],
  );

  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">Users</h1>
      <CreateUserForm onCreated={onCreated} />

      <form
        className={styles.toolbar}
        role="search"
        aria-label="Search users"
        onSubmit={(e) => {
          e.preventDefault();
          setSearch(text.trim());
        }}
      >
        <div className="field">
          <label htmlFor="users-search">Search users</label>
          <input
            id="users-search"
            data-testid="users-search"
            type="search"
            placeholder="Username, name or email"
            autoComplete="off"
            maxLength={MAX_USER_SEARCH_CHARS}
            value={text}
            onChange={(e) => setText(e.target.value)}
          />
        </div>
      </form>

      {pages.error && rows.length === 0 ? (
        <ErrorMessage title="Could not load users" message={describeError(pages.error)} onRetry={pages.refresh} />
      ) : pages.fetching && rows.length === 0 ? (
        <Loading label="Loading users…" />
      ) : rows.length === 0 ? (
        <EmptyState title={search ? 'No user matches this search.' : 'No users yet.'} />
      ) : (
        <>
          <UsersTable users={rows} meId={meId} onChanged={onChanged} />
          <LoadMore pages={pages} errorTitle="Could not load more users" />
        </>
      )}
    </section>
  );
}
