import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSession } from '../auth/session';
import { CATALOGUE_KEY, isActiveDownload } from './model-downloads';

/**
 * The model catalogue. Download progress arrives over socket.io (notifications/ patches this query's data);
 * while a download is active it is also read every 2 s, in case the socket is down or missed an event.
 */
export function useCatalogue() {
  const { client } = useSession();
  return useQuery({
    queryKey: CATALOGUE_KEY,
    queryFn: ({ signal }) => client.modelCatalogue(signal),
    refetchInterval: (query) => (query.state.data?.data.some((m) => isActiveDownload(m.download)) ? 2000 : 15_000),
  });
}

/** Download, cancel and select: each reads the catalogue again after (the file, the default, the download changed). */
export function useCatalogueMutations() {
  const { client } = useSession();
  const queryClient = useQueryClient();
  const onSuccess = async () => {
    await queryClient.invalidateQueries({ queryKey: CATALOGUE_KEY });
  };
  return {
    download: useMutation({ mutationFn: ({ name, force }: { name: string; force?: boolean }) => client.downloadModel(name, force), onSuccess }),
    cancel: useMutation({ mutationFn: (name: string) => client.cancelModelDownload(name), onSuccess }),
    select: useMutation({ mutationFn: (name: string) => client.selectModel(name), onSuccess }),
  };
}
